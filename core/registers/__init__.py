"""Registers in and out: household spreadsheets (files, template), rosters and publicity lists
(rosters), writers, and their store."""
