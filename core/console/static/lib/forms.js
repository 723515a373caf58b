// Forms generated from the action specs the API publishes (caseActionSpecs): each argument's
// GraphQL type, kind, description, default and allowed values come from the one declaration
// (core.cases.actions) the mutations, the command line and the documentation are generated
// from, so the console keeps no copy of them.
import { html, useState, gql } from "./core.js";
import { t, fieldName, choiceName, errorText } from "./i18n.js";
import { Field, FormErrors } from "./ui.js";

const SPECS = `query CaseActionSpecs { caseActionSpecs { action mutation description
  arguments { name type kind description required default choices deprecationReason
    fields { name } } } }`;

let specs = null;
// Every action's spec by action name (asked once per page load).
export function actionSpecs() {
  if (!specs) {
    specs = gql(SPECS).then((d) => Object.fromEntries(d.caseActionSpecs.map((s) => [s.action, s])));
    specs.catch(() => { specs = null; });
  }
  return specs;
}

// The inputs of a form: every argument but those the page fills in itself and deprecated ones.
export function formArgs(spec, fixed) {
  return spec.arguments.filter((a) => !fixed.includes(a.name) && !a.deprecationReason);
}

const many = (a) => a.kind === "LIST" || a.kind === "RECORDS";

// A value as typed into the form, as the argument takes it (null: left out).
export function parse(arg, raw) {
  if (raw === undefined || raw === null || raw === "") return many(arg) && arg.required ? [] : null;
  const lines = () => String(raw).split("\n").map((s) => s.trim()).filter(Boolean);
  switch (arg.kind) {
    case "LIST": return lines();
    // one record a line, its fields in order separated by "=" (as `doudi cases act` takes them)
    case "RECORDS": return lines().map((line) => {
      const parts = line.split("=");
      return Object.fromEntries(arg.fields.map((f, i) => [f.name, (parts[i] || "").trim()]));
    });
    case "INT": return Number.parseInt(raw, 10);
    case "AMOUNT": return Number.parseFloat(raw);
    case "BOOL": return raw === "true";
    default: return raw;
  }
}

// One input for one argument, labelled, with its description as help and its errors.
export function ArgInput({ arg, prefix, value, onChange, errors }) {
  const id = `${prefix}-${arg.name}`;
  const label = `${fieldName(arg.name)}${arg.required ? " *" : ""}`;
  const shape = arg.kind === "RECORDS" ? arg.fields.map((f) => fieldName(f.name)).join("=") : "";
  const help = [arg.description, many(arg) ? `每行一项 · one per line${shape ? `: ${shape}` : ""}` : ""]
    .filter(Boolean).join(" · ");
  return html`<${Field} id=${id} label=${label} field=${arg.name} errors=${errors} help=${help || null}>
    ${(a) => {
      if (many(arg)) {
        return html`<textarea ...${a} value=${value ?? ""} onInput=${(e) => onChange(e.target.value)}></textarea>`;
      }
      if (arg.kind === "BOOL") {
        return html`<select ...${a} value=${value ?? ""} onChange=${(e) => onChange(e.target.value)}>
          <option value="">—</option><option value="true">${t("yes")}</option><option value="false">${t("no")}</option></select>`;
      }
      if (arg.choices.length) {
        return html`<select ...${a} value=${value ?? ""} onChange=${(e) => onChange(e.target.value)}>
          <option value="">—</option>
          ${arg.choices.map((c) => html`<option value=${c}>${choiceName(c)}</option>`)}</select>`;
      }
      const type = arg.kind === "DATE" ? "date" : arg.kind === "INT" || arg.kind === "AMOUNT" ? "number" : "text";
      return html`<input ...${a} type=${type} step=${arg.kind === "AMOUNT" ? "0.01" : undefined}
        placeholder=${arg.default || undefined}
        value=${value ?? ""} onInput=${(e) => onChange(e.target.value)} />`;
    }}
  </${Field}>`;
}

// The mutation of ``spec`` for the variables given (only the arguments given are declared).
export function mutationText(spec, selection, given) {
  const all = spec.arguments.filter((a) => a.name in given);
  const decl = all.map((a) => `$${a.name}: ${a.type}`).join(", ");
  const pass = all.map((a) => `${a.name}: $${a.name}`).join(", ");
  const name = spec.mutation;
  return `mutation ${name[0].toUpperCase()}${name.slice(1)}${decl ? `(${decl})` : ""} {
    ${name}${pass ? `(${pass})` : ""} { ${selection} userErrors { field message code } } }`;
}

// A form for the action of ``spec`` with the page's fixed variables (id, expectedVersion ...):
// submits, and hands the payload to onDone, or shows the userErrors next to their fields.
export function ActionForm({
  spec, fixed, selection, onDone, prefix, extraFields = [], submitLabel, initial = {},
}) {
  const args = formArgs(spec, Object.keys(fixed));
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    const vars = { ...fixed };
    for (const a of args) {
      const v = parse(a, values[a.name]);
      if (v !== null) vars[a.name] = v;
    }
    try {
      const data = await gql(mutationText(spec, selection, vars), vars);
      const payload = data[spec.mutation];
      setErrors(payload.userErrors);
      if (!payload.userErrors.length) onDone(payload);
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(false);
    }
  }

  return html`<form onSubmit=${submit} novalidate>
    ${args.map((a) => html`<${ArgInput} arg=${a} prefix=${prefix} value=${values[a.name]}
      errors=${errors} onChange=${(v) => setValues({ ...values, [a.name]: v })} />`)}
    <${FormErrors} errors=${errors} fields=${[...args.map((a) => a.name), ...extraFields]} />
    ${failure && html`<div class="alert" role="alert"><strong>${errorText(failure.code)}</strong>
      <span class="detail"> ${failure.message}</span></div>`}
    <button type="submit" class="primary" disabled=${busy}>${submitLabel || t("submit")}</button>
  </form>`;
}
