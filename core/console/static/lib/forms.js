// Forms generated from the API itself: a mutation's arguments, their types and descriptions
// are read by introspection, so a step's form follows the schema (and the action spec behind
// it) without a copy in the console.
import { html, useState, gql } from "./core.js";
import { t, fieldName, enumName, errorText } from "./i18n.js";
import { Field, FormErrors } from "./ui.js";

const TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";
const MUTATIONS = `query MutationSpec { __type(name: "Mutation") { fields {
  name description args { name description defaultValue type { ${TYPE_REF} } } } } }`;

let spec = null;
export function mutationSpec() {
  if (!spec) {
    spec = gql(MUTATIONS).then((d) => Object.fromEntries(d.__type.fields.map((f) => [f.name, f])));
    spec.catch(() => { spec = null; });
  }
  return spec;
}

const enums = {};
export function enumValues(name) {
  if (!enums[name]) {
    enums[name] = gql(`query EnumValues($n: String!) { __type(name: $n) { enumValues { name description } } }`, { n: name })
      .then((d) => d.__type.enumValues);
  }
  return enums[name];
}

// The GraphQL type of an argument as written in a query ("[String!]!").
export function typeString(ref) {
  if (ref.kind === "NON_NULL") return `${typeString(ref.ofType)}!`;
  if (ref.kind === "LIST") return `[${typeString(ref.ofType)}]`;
  return ref.name;
}

function named(ref) {
  let r = ref;
  let list = false;
  let required = false;
  if (r.kind === "NON_NULL") { required = true; r = r.ofType; }
  if (r.kind === "LIST") { list = true; r = r.ofType; if (r.kind === "NON_NULL") r = r.ofType; }
  return { kind: r.kind, name: r.name, list, required };
}

// The inputs of a form: every argument but those the page fills in itself.
export function formArgs(field, fixed) {
  return field.args.filter((a) => !fixed.includes(a.name)).map((a) => ({ ...a, t: named(a.type) }));
}

function parse(arg, raw) {
  const { t: ty } = arg;
  if (raw === undefined || raw === "") return ty.list && ty.required ? [] : null;
  if (ty.list) return String(raw).split("\n").map((s) => s.trim()).filter(Boolean);
  if (ty.name === "Int") return Number.parseInt(raw, 10);
  if (ty.name === "Float") return Number.parseFloat(raw);
  if (ty.name === "Boolean") return raw === "true";
  return raw;
}

// One input for one argument, labelled, with its description as help and its errors.
export function ArgInput({ arg, prefix, value, onChange, errors, options }) {
  const id = `${prefix}-${arg.name}`;
  const ty = arg.t;
  const label = `${fieldName(arg.name)}${ty.required ? " *" : ""}`;
  const help = [arg.description, ty.list ? "每行一项 · one per line" : ""].filter(Boolean).join(" · ");
  return html`<${Field} id=${id} label=${label} field=${arg.name} errors=${errors} help=${help || null}>
    ${(a) => {
      if (ty.list) {
        return html`<textarea ...${a} value=${value ?? ""} onInput=${(e) => onChange(e.target.value)}></textarea>`;
      }
      if (ty.name === "Boolean") {
        return html`<select ...${a} value=${value ?? ""} onChange=${(e) => onChange(e.target.value)}>
          <option value="">—</option><option value="true">${t("yes")}</option><option value="false">${t("no")}</option></select>`;
      }
      if (ty.kind === "ENUM") {
        return html`<select ...${a} value=${value ?? ""} onChange=${(e) => onChange(e.target.value)}>
          <option value="">—</option>
          ${(options || []).map((o) => html`<option value=${o.name}>${enumName(o.name)}</option>`)}</select>`;
      }
      const type = ty.name === "Date" ? "date" : ty.name === "Int" || ty.name === "Float" ? "number" : "text";
      return html`<input ...${a} type=${type} step=${ty.name === "Float" ? "0.01" : undefined}
        value=${value ?? ""} onInput=${(e) => onChange(e.target.value)} />`;
    }}
  </${Field}>`;
}

// A form for mutation `field` with the page's fixed variables (id, expectedVersion ...):
// submits, and hands the payload to onDone, or shows the userErrors next to their fields.
export function MutationForm({
  field, fixed, selection, onDone, prefix, extraFields = [], submitLabel, initial = {},
}) {
  const args = formArgs(field, Object.keys(fixed));
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const [options, setOptions] = useState({});
  const enumArgs = args.filter((a) => a.t.kind === "ENUM");
  if (enumArgs.length && !Object.keys(options).length) {
    Promise.all(enumArgs.map((a) => enumValues(a.t.name).then((v) => [a.name, v])))
      .then((pairs) => setOptions(Object.fromEntries(pairs)));
  }

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    const vars = { ...fixed };
    for (const a of args) {
      const v = parse(a, values[a.name]);
      if (v !== null) vars[a.name] = v;
    }
    const all = field.args.filter((a) => a.name in vars);
    const decl = all.map((a) => `$${a.name}: ${typeString(a.type)}`).join(", ");
    const pass = all.map((a) => `${a.name}: $${a.name}`).join(", ");
    const query = `mutation ${field.name[0].toUpperCase()}${field.name.slice(1)}${decl ? `(${decl})` : ""} {
      ${field.name}${pass ? `(${pass})` : ""} { ${selection} userErrors { field message code } } }`;
    try {
      const data = await gql(query, vars);
      const payload = data[field.name];
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
      options=${options[a.name]} errors=${errors}
      onChange=${(v) => setValues({ ...values, [a.name]: v })} />`)}
    <${FormErrors} errors=${errors} fields=${[...args.map((a) => a.name), ...extraFields]} />
    ${failure && html`<div class="alert" role="alert"><strong>${errorText(failure.code)}</strong>
      <span class="detail"> ${failure.message}</span></div>`}
    <button type="submit" class="primary" disabled=${busy}>${submitLabel || t("submit")}</button>
  </form>`;
}
