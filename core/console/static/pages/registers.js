// Registers (花名册): the template, a register file checked (dry run: every problem by row and
// column, nothing written) then imported all or nothing (importHouseholdRegister), the register
// exported (householdRegister), the roster for other departments (householdRoster) and the
// publicity list with ID numbers masked (publicityList), shown on the page or downloaded.
import { html, useState, gql, getSession, may, params, navigate } from "../lib/core.js";
import { t, programName } from "../lib/i18n.js";
import { Page, Alert, Field } from "../lib/ui.js";
import { w, codeName } from "../lib/words-people.js";
import {
  readBase64, download, csvText, parseCsv, FileProblems, unsendable,
} from "../lib/files.js";

const FILE = "fileName contentType contentBase64";
const TEMPLATE = `query Template($f: SheetFormat!) { householdRegisterTemplate(format: $f) { ${FILE} } }`;
const EXPORT = `query Register($j: String!, $f: SheetFormat!) { householdRegister(jurisdiction: $j, format: $f) { ${FILE} } }`;
const ROSTER = `query Roster($j: String!, $p: String!, $d: String, $f: SheetFormat!) {
  householdRoster(jurisdiction: $j, program: $p, department: $d, format: $f) { ${FILE} } }`;
const PUBLICITY = `query Publicity($j: String!, $p: String!, $f: SheetFormat!) {
  publicityList(jurisdiction: $j, program: $p, format: $f) { ${FILE} } }`;
// ImportedHousehold's lines and changes are left out: with 10,000 households a file may hold,
// they would exceed the API's cost limit (QUERY_TOO_COMPLEX).
const IMPORT = `mutation ImportRegister($name: String!, $b64: String!, $commit: Boolean!, $enc: String) {
  importHouseholdRegister(fileName: $name, contentBase64: $b64, commit: $commit, encoding: $enc) {
    result { fileName sha256 committed created updated unchanged members notes
      households { key action householdId } }
    userErrors { field message code } } }`;

export default function Registers() {
  const me = getSession().me;
  const p = params();
  const [code, setCode] = useState(p.get("j") || me.jurisdiction.code);
  const session = getSession();
  const mayPublicity = may(session, "export_rosters") || me.role === "township_officer";
  return html`<${Page} title=${w("registers_title")}>
    <p class="help">${w("registers_intro")}</p>
    <form class="controls" onSubmit=${(e) => { e.preventDefault(); navigate(`/registers?j=${code.trim()}`, { replace: true }); }}>
      <${Field} id="rg-j" label=${t("jurisdiction")}>
        ${(a) => html`<input ...${a} value=${code} inputmode="numeric" onInput=${(e) => setCode(e.target.value.trim())} />`}
      </${Field}>
    </form>
    <${Template} />
    ${may(session, "write_households") && html`<${Import} />`}
    <${Export} code=${code} />
    ${may(session, "export_rosters") && html`<${Roster} code=${code} />`}
    ${mayPublicity && html`<${Publicity} code=${code} />`}
  </${Page}>`;
}

// A button that asks for a file and saves it (errors shown beside it).
function DownloadButton({ label, query, variables, id }) {
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  async function get() {
    setBusy(true); setFailure(null);
    try {
      const data = await gql(query, variables);
      download(Object.values(data)[0]);
    } catch (e) { setFailure(e); } finally { setBusy(false); }
  }
  return html`<span class="download"><button type="button" id=${id} disabled=${busy} onClick=${get}>${label}</button>
    <${Alert} error=${failure} /></span>`;
}

function Template() {
  return html`<section aria-labelledby="tpl-title"><h2 id="tpl-title">${w("template")}</h2>
    <p class="help">${w("template_help")}</p>
    <div class="row">
      <${DownloadButton} id="tpl-xlsx" label=${`${w("template")} · ${w("download_xlsx")}`} query=${TEMPLATE} variables=${{ f: "XLSX" }} />
      <${DownloadButton} id="tpl-csv" label=${`${w("template")} · ${w("download_csv")}`} query=${TEMPLATE} variables=${{ f: "CSV" }} />
    </div></section>`;
}

function Import() {
  const [file, setFile] = useState(null);
  const [encoding, setEncoding] = useState("");
  const [checked, setChecked] = useState(null); // the dry run's result, for this file
  const [done, setDone] = useState(null);
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);

  async function send(commit) {
    setFailure(null); setDone(null);
    const refused = unsendable(file);
    if (refused.length) { setErrors(refused); return; }
    setBusy(true);
    try {
      const b64 = await readBase64(file);
      const { importHouseholdRegister: r } = await gql(IMPORT, {
        name: file.name, b64, commit, enc: encoding || null,
      });
      setErrors(r.userErrors);
      if (r.userErrors.length) { setChecked(null); return; }
      if (commit) { setDone(r.result); setChecked(null); } else setChecked(r.result);
    } catch (e) { setFailure(e); } finally { setBusy(false); }
  }

  const fileErrors = errors.filter((e) => e.field !== "contentBase64");
  const own = errors.filter((e) => e.field === "contentBase64");
  return html`<section aria-labelledby="imp-title"><h2 id="imp-title">${w("import_register")}</h2>
    <form class="row" onSubmit=${(e) => { e.preventDefault(); send(false); }} novalidate>
      <${Field} id="imp-file" label=${w("file")} field="contentBase64" errors=${own}
        help="XLSX / CSV">
        ${(a) => html`<input ...${a} type="file" accept=".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          aria-invalid=${errors.length ? "true" : undefined}
          aria-describedby=${[a["aria-describedby"], fileErrors.length ? "imp-problems" : null].filter(Boolean).join(" ") || undefined}
          onChange=${(e) => { setFile(e.target.files[0] || null); setChecked(null); setDone(null); setErrors([]); }} />`}
      </${Field}>
      <${Field} id="imp-enc" label=${w("encoding")}>
        ${(a) => html`<select ...${a} value=${encoding} onChange=${(e) => setEncoding(e.target.value)}>
          <option value="">${w("encoding_auto")}</option><option value="utf-8">UTF-8</option>
          <option value="gb18030">GBK / GB18030</option></select>`}
      </${Field}>
      <button type="submit" disabled=${busy}>${w("check_file")}</button>
    </form>
    <${Alert} error=${failure} />
    <${FileProblems} errors=${fileErrors} id="imp-problems" />
    ${checked && html`<div class="notice" role="status">
      <p><strong>${w("dry_run_ok")}</strong>：${checked.fileName} · ${w("n_new")} ${checked.created}，
        ${w("n_updated")} ${checked.updated}，${w("n_unchanged")} ${checked.unchanged} ${w("households_unit")}；
        ${checked.members} ${w("n_members")}</p>
      ${checked.notes.map((n) => html`<p class="help">${n}</p>`)}
      <button type="button" class="primary" disabled=${busy} onClick=${() => send(true)}>${w("commit_import")}</button>
    </div>
    <${Households} result=${checked} />`}
    ${done && html`<div class="notice" role="status"><p><strong>${w("imported")}</strong>：${done.fileName} ·
      ${w("n_new")} ${done.created}，${w("n_updated")} ${done.updated}，${w("n_unchanged")} ${done.unchanged}
      ${w("households_unit")}；${done.members} ${w("n_members")}</p>
      <p class="help">SHA-256 <code>${done.sha256}</code></p></div>
      <${Households} result=${done} />`}
  </section>`;
}

function Households({ result }) {
  if (!result.households.length) return null;
  return html`<table class="data"><caption class="sr-only">${w("import_register")}</caption>
    <thead><tr><th scope="col">${w("household_key")}</th><th scope="col">${w("import_action")}</th>
      <th scope="col">${t("household")}</th></tr></thead>
    <tbody>${result.households.map((h) => html`<tr><td>${h.key}</td><td>${codeName(h.action)}</td>
      <td>${h.householdId ? html`<a href=${`/households/${h.householdId}`}>#${h.householdId}</a>` : "—"}</td></tr>`)}</tbody>
  </table>`;
}

function Export({ code }) {
  return html`<section aria-labelledby="exp-title"><h2 id="exp-title">${w("export_register")}</h2>
    <p class="help">${w("export_help")}</p>
    <div class="row">
      <${DownloadButton} id="exp-xlsx" label=${`${code} · ${w("download_xlsx")}`} query=${EXPORT} variables=${{ j: code, f: "XLSX" }} />
      <${DownloadButton} id="exp-csv" label=${`${code} · ${w("download_csv")}`} query=${EXPORT} variables=${{ j: code, f: "CSV" }} />
    </div></section>`;
}

function Roster({ code }) {
  const [program, setProgram] = useState("dibao");
  const [department, setDepartment] = useState("");
  const vars = (f) => ({ j: code, p: program, d: department.trim() || null, f });
  return html`<section aria-labelledby="ros-title"><h2 id="ros-title">${w("roster")}</h2>
    <p class="help">${w("roster_help")}</p>
    <div class="row">
      <${Field} id="ros-program" label=${t("program")}>
        ${(a) => html`<select ...${a} value=${program} onChange=${(e) => setProgram(e.target.value)}>
          ${["dibao", "tekun", "low_income"].map((x) => html`<option value=${x}>${codeName(x)}</option>`)}</select>`}
      </${Field}>
      <${Field} id="ros-dept" label=${w("department_to")}>
        ${(a) => html`<input ...${a} value=${department} placeholder="医保" onInput=${(e) => setDepartment(e.target.value)} />`}
      </${Field}>
      <${DownloadButton} id="ros-xlsx" label=${w("download_xlsx")} query=${ROSTER} variables=${vars("XLSX")} />
      <${DownloadButton} id="ros-csv" label=${w("download_csv")} query=${ROSTER} variables=${vars("CSV")} />
    </div></section>`;
}

function Publicity({ code }) {
  const [program, setProgram] = useState("dibao");
  const [rows, setRows] = useState(null);
  const [failure, setFailure] = useState(null);
  async function show() {
    setFailure(null);
    try {
      const { publicityList } = await gql(PUBLICITY, { j: code, p: program, f: "CSV" });
      setRows(parseCsv(csvText(publicityList)).filter((r) => r.some((c) => c !== "")));
    } catch (e) { setFailure(e); setRows(null); }
  }
  // The file's last lines say who exported it and when: shown under the table, not in it.
  const width = rows && rows.length ? rows[0].length : 0;
  const body = rows ? rows.slice(1).filter((r) => r.length === width && r.filter((c) => c !== "").length > 1) : [];
  const footer = rows ? rows.slice(1).filter((r) => !body.includes(r)) : [];
  return html`<section aria-labelledby="pub-title"><h2 id="pub-title">${w("publicity_list")}</h2>
    <p class="help">${w("publicity_help")}</p>
    <div class="row">
      <${Field} id="pub-program" label=${t("program")}>
        ${(a) => html`<select ...${a} value=${program} onChange=${(e) => { setProgram(e.target.value); setRows(null); }}>
          ${["dibao", "tekun"].map((x) => html`<option value=${x}>${programName(x)}</option>`)}</select>`}
      </${Field}>
      <button type="button" onClick=${show}>${w("show_list")}</button>
      <${DownloadButton} id="pub-xlsx" label=${w("download_xlsx")} query=${PUBLICITY} variables=${{ j: code, p: program, f: "XLSX" }} />
    </div>
    <${Alert} error=${failure} />
    ${rows && html`<table class="data publicity"><caption class="sr-only">${w("publicity_list")}</caption>
      <thead><tr>${rows[0].map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
      <tbody>${body.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table>
      ${body.length === 0 && html`<p>${t("no_results")}</p>`}
      ${footer.map((r) => html`<p class="help">${r.filter(Boolean).join(" ")}</p>`)}`}
  </section>`;
}

