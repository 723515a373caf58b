"""A third-party plugin for Kunming (530100), shipped as its own distribution (test fixture)."""

from core.plugin.hookspecs import Coverage, hookimpl, policy_files_in


@hookimpl
def doudi_jurisdictions():
    return [Coverage("530100", "昆明市")]


@hookimpl
def doudi_policy_files():
    return policy_files_in(__name__)
