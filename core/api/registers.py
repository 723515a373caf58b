"""GraphQL: household registers in and out (wired into :mod:`core.api.schema`).

A file travels as base64 in a JSON string (``contentBase64``), in both directions. strawberry
can take multipart uploads, but only with ``multipart_uploads_enabled`` — off by default because
a multipart POST is a "simple" request a browser sends cross-site without a CORS preflight (a
CSRF path into an API whose officials are signed in); base64 keeps one transport (JSON) for the
console, the CLI and scripts, at a third more bytes for files of at most a few MB (a register of
1,000 households is 300 kB of XLSX).

``importHouseholdRegister`` is a dry run unless ``commit``; every problem of the file comes back
as a ``userError`` whose field names the row and column (``第 12 行 身份证号``), code
``INVALID_FILE``; nothing is written then. Storage: :mod:`core.registers.store`.
"""

from __future__ import annotations

import base64
import binascii
from enum import Enum

import strawberry

from core.api.common import Info, UserError, file_errors
from core.errors import DoudiError, InvalidInput
from core.policy.service import today
from core.registers import store

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
MAX_FILE_BYTES = 50 * 1024 * 1024


@strawberry.type(description="A file: its name, type and bytes as base64.")
class FileContent:
    file_name: str
    content_type: str
    content_base64: str


def file_content(name: str, fmt: str, data: bytes) -> FileContent:
    return FileContent(
        file_name=f"{name}.{fmt}",
        content_type=CONTENT_TYPES[fmt],
        content_base64=base64.b64encode(data).decode("ascii"),
    )


def decode_file(content_base64: str) -> bytes:
    try:
        data = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("contentBase64: not base64") from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"contentBase64: a file of at most {MAX_FILE_BYTES} bytes")
    return data


@strawberry.enum(description="A spreadsheet format.")
class SheetFormat(Enum):
    XLSX = "xlsx"
    CSV = "csv"


@strawberry.type(description="What an import did (or, in a dry run, would do) to one household.")
class ImportedHousehold:
    key: str = strawberry.field(description="The file's 户编号.")
    action: str = strawberry.field(description="create, update or unchanged.")
    lines: list[int]
    household_id: strawberry.ID | None
    changes: list[str]


@strawberry.type(description="The result of a register import.")
class RegisterImport:
    file_name: str
    sha256: str
    committed: bool
    created: int
    updated: int
    unchanged: int
    members: int
    households: list[ImportedHousehold]
    notes: list[str]


@strawberry.type(description="The import's result, or userErrors (nothing written).")
class RegisterImportPayload:
    result: RegisterImport | None
    user_errors: list[UserError]


@strawberry.type
class RegisterQuery:
    @strawberry.field(description="The household register template (Chinese headers).")
    def household_register_template(self, format: SheetFormat = SheetFormat.XLSX) -> FileContent:
        return file_content("家庭成员花名册模板", format.value, store.template(format.value))

    @strawberry.field(
        description="The households at a jurisdiction in the template's columns (logged; the "
        "file ends with who exported it and when)."
    )
    async def household_register(
        self, info: Info, jurisdiction: str, format: SheetFormat = SheetFormat.XLSX
    ) -> FileContent:
        context = info.context
        context.mark_private()
        user = await context.user()
        registry = context.base.registry
        data = await context.in_session(
            lambda s: store.export_register(s, user, jurisdiction, registry, format.value)
        )
        return file_content(f"households-{jurisdiction}", format.value, data)

    @strawberry.field(
        description="The roster (花名册) of dibao, tekun or low_income people at a jurisdiction "
        "for another department, with full ID numbers (county approvers and above; logged)."
    )
    async def household_roster(
        self,
        info: Info,
        jurisdiction: str,
        program: str,
        department: str | None = None,
        format: SheetFormat = SheetFormat.XLSX,
    ) -> FileContent:
        context = info.context
        context.mark_private()
        user = await context.user()
        registry = context.base.registry
        data = await context.in_session(
            lambda s: store.roster(
                s, user, jurisdiction, program, registry, department=department, fmt=format.value
            )
        )
        return file_content(f"roster-{program}-{jurisdiction}", format.value, data)

    @strawberry.field(
        description="The publicity list (公示名单): applicant, household size, amount, ID numbers "
        "masked — 最低生活保障审核确认办法 第二十四条 (logged)."
    )
    async def publicity_list(
        self,
        info: Info,
        jurisdiction: str,
        program: str,
        format: SheetFormat = SheetFormat.XLSX,
    ) -> FileContent:
        context = info.context
        context.mark_private()
        user = await context.user()
        registry = context.base.registry
        data = await context.in_session(
            lambda s: store.publicity_list(
                s, user, jurisdiction, program, registry, fmt=format.value
            )
        )
        return file_content(f"publicity-{program}-{jurisdiction}", format.value, data)


@strawberry.type
class RegisterMutation:
    @strawberry.mutation(
        description="Import a household register file (XLSX or CSV in UTF-8 or GBK, as "
        "base64): a dry run unless commit (then all or nothing); every bad row and column at "
        "once as userErrors."
    )
    async def import_household_register(
        self,
        info: Info,
        file_name: str,
        content_base64: str,
        commit: bool = False,
        encoding: str | None = None,
    ) -> RegisterImportPayload:
        context = info.context
        context.mark_private()
        registry = context.base.registry
        try:
            user = await context.user()
            content = decode_file(content_base64)
            report = await context.in_session(
                lambda s: store.import_register(
                    s,
                    user,
                    file_name,
                    content,
                    registry,
                    today(),
                    commit=commit,
                    encoding=encoding,
                )
            )
        except DoudiError as exc:
            return RegisterImportPayload(result=None, user_errors=file_errors(exc, info=info))
        context.loaders.clear()
        return RegisterImportPayload(
            result=RegisterImport(
                file_name=report.file_name,
                sha256=report.file_hash,
                committed=report.committed,
                created=report.created,
                updated=report.updated,
                unchanged=report.unchanged,
                members=report.members,
                households=[
                    ImportedHousehold(
                        key=i.key,
                        action=i.action,
                        lines=list(i.lines),
                        household_id=strawberry.ID(str(i.household_id)) if i.household_id else None,
                        changes=list(i.changes),
                    )
                    for i in report.items
                ],
                notes=list(report.notes),
            ),
            user_errors=[],
        )


LIST_SIZES: dict[tuple[str, str], int] = {("RegisterImport", "households"): 10_000}
