// Files over GraphQL: the API carries them as base64 in JSON both ways (FileContent,
// contentBase64), one transport for the console, the CLI and scripts (core/api/registers.py says
// why not multipart). Uploads, downloads, a CSV shown as a table, and a file's problems by row and
// column as the API names them ("第 12 行 身份证号").
import { html } from "./core.js";
import { errorText } from "./i18n.js";
import { w } from "./words-people.js";

// The API refuses request bodies over 1 MiB (core.validation.MAX_BODY_BYTES); base64 adds a
// third, and the query and the other variables need a little room.
export const MAX_UPLOAD_BYTES = 760 * 1024;

// Why the chosen file cannot be sent (as userErrors at the upload field), or [] when it can.
export function unsendable(file) {
  if (!file) return [{ field: "contentBase64", code: "INVALID_INPUT", message: w("choose_file") }];
  if (file.size > MAX_UPLOAD_BYTES) {
    return [{ field: "contentBase64", code: "INVALID_FILE", message: w("file_too_big") }];
  }
  return [];
}

export function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function bytesOf(b64) {
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 1) out[i] = raw.charCodeAt(i);
  return out;
}

// Save a FileContent as the browser's download.
export function download(file) {
  const blob = new Blob([bytesOf(file.contentBase64)], { type: file.contentType });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = file.fileName;
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// The text of a CSV FileContent (UTF-8, with or without its byte-order mark).
export function csvText(file) {
  return new TextDecoder("utf-8").decode(bytesOf(file.contentBase64)).replace(/^\uFEFF/, "");
}

// RFC 4180: quoted fields may hold commas, quotes ("") and line breaks.
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 1; } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(cell); rows.push(row); row = []; cell = "";
    } else cell += c;
  }
  if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

// "第 12 行 身份证号" → { row: 12, column: "身份证号" }; a file-wide problem has neither.
export function place(field) {
  const m = /^第\s*(\d+)\s*行\s*(.*)$/.exec(field || "");
  if (m) return { row: Number(m[1]), column: m[2] || "" };
  return { row: null, column: field || "" };
}

// Every problem of a file, by row and column, in the file's own terms; nothing was written.
export function FileProblems({ errors, id }) {
  if (!errors || !errors.length) return null;
  const rows = errors.map((e) => ({ ...place(e.field), e }))
    .sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  return html`<section class="problems" role="alert" aria-labelledby=${`${id}-title`} id=${id}>
    <h3 id=${`${id}-title`}>${w("problems")}：${errors.length} ${w("problems_none_written")}</h3>
    <table class="data"><caption class="sr-only">${w("problems")}</caption>
      <thead><tr><th scope="col">${w("row")}</th><th scope="col">${w("column")}</th>
        <th scope="col">${w("problem")}</th></tr></thead>
      <tbody>${rows.map(({ row, column, e }) => html`<tr data-row=${row ?? ""} data-column=${column}>
        <td>${row === null ? w("whole_file") : `第 ${row} 行`}</td><td>${column || "—"}</td>
        <td><strong>${errorText(e.code)}</strong> <span class="detail">${e.message}</span></td></tr>`)}</tbody>
    </table></section>`;
}

// The userErrors of a form placed at the control they concern: the API names the field in
// ``field`` or, for some inputs, opens the message with it ("categories: unknown …"); an error
// at the mutation's default field is moved to the form's field its message names.
export function placed(errors, fields) {
  return (errors || []).map((e) => {
    const m = /^([A-Za-z][\w.[\]]*):\s/.exec(e.message || "");
    if (m && fields.includes(m[1]) && e.field !== m[1]) return { ...e, field: m[1] };
    return e;
  });
}
