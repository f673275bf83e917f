#!/usr/bin/env node
// Generates a JSON Schema (draft 2020-12) of one OCSF event class from a checkout of ocsf/ocsf-schema,
// the way the OCSF server compiles the schema: the class is merged down its `extends` chain
// (detection_finding -> finding -> base_event), each attribute takes its type and enum from
// dictionary.json, overridden by the class or object entry; objects are compiled the same way (with
// their `extends` chain) into $defs; `$include`d profile attributes are allowed but never required
// (a profile's attributes apply only when the event lists the profile); the `datetime` profile adds a
// `<name>_dt` datetime_t sibling to every timestamp_t attribute; `constraints` become anyOf/oneOf of
// `required`; classes and objects reject unknown attributes, except `object` (e.g. `unmapped`) and
// json_t values, which hold anything.
//
// Usage: node generate.mjs <ocsf-schema checkout> <class name> > <out.json>
// See PROVENANCE.md for the commit and version the vendored output was generated from.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [root, className] = process.argv.slice(2);
if (!root || !className) {
  console.error('usage: node generate.mjs <ocsf-schema dir> <class name>');
  process.exit(2);
}
const read = (p) => JSON.parse(readFileSync(join(root, p), 'utf8'));
const dictionary = read('dictionary.json');
const version = read('version.json').version;
const categories = read('categories.json').attributes;
const types = dictionary.types.attributes;

function findEvent(name) {
  for (const dir of [
    'events',
    ...[
      'findings',
      'iam',
      'system',
      'network',
      'discovery',
      'application',
      'remediation',
      'unmanned_systems',
    ].map((d) => `events/${d}`),
  ]) {
    const p = `${dir}/${name}.json`;
    if (existsSync(join(root, p))) return read(p);
  }
  throw new Error(`no event class ${name}`);
}

const isProfilePath = (p) => p.startsWith('profiles/');

/** An entity's own attributes, `$include`s resolved (profile attributes marked as such). */
function ownAttributes(entity) {
  const out = {};
  for (const [name, attr] of Object.entries(entity.attributes ?? {})) {
    if (name === '$include') {
      for (const p of [attr].flat()) {
        const inc = read(p);
        for (const [n, a] of Object.entries(inc.attributes ?? {}))
          out[n] = { ...a, ...(isProfilePath(p) ? { profile: a.profile ?? inc.name } : {}) };
      }
      continue;
    }
    out[name] = { ...(out[name] ?? {}), ...attr };
  }
  return out;
}

function mergeAttr(base, over) {
  const merged = { ...base, ...over };
  if (base?.enum || over?.enum) merged.enum = { ...(base?.enum ?? {}), ...(over?.enum ?? {}) };
  return merged;
}

/** Attributes and constraints of an entity merged down its extends chain (parent first). */
function compiled(entity, load) {
  let attributes = {};
  let constraints;
  if (entity.extends && entity.extends !== 'object') {
    const parent = compiled(load(entity.extends), load);
    attributes = parent.attributes;
    constraints = parent.constraints;
  }
  for (const [n, a] of Object.entries(ownAttributes(entity))) attributes[n] = mergeAttr(attributes[n], a);
  if (entity.constraints) constraints = entity.constraints;
  return { attributes, constraints };
}

const loadObject = (name) => read(`objects/${name}.json`);
const defs = {};

function baseType(typeName) {
  let t = typeName;
  const regexes = [];
  while (types[t]?.type) {
    if (types[t].regex) regexes.push(types[t].regex);
    t = types[t].type;
  }
  if (types[t]?.regex) regexes.push(types[t].regex);
  return { base: t, regex: regexes[0] };
}

const JSON_TYPE = {
  boolean_t: 'boolean',
  integer_t: 'integer',
  long_t: 'integer',
  float_t: 'number',
  string_t: 'string',
};

function valueSchema(attr) {
  const t = attr.type;
  if (t === 'object') return { type: 'object' };
  if (t === 'json_t') return {};
  if (!t.endsWith('_t')) {
    objectDef(t);
    return { $ref: `#/$defs/${t}` };
  }
  const { base, regex } = baseType(t);
  const schema = JSON_TYPE[base] ? { type: JSON_TYPE[base] } : {};
  if (regex && schema.type === 'string') {
    try {
      new RegExp(regex, 'u');
      schema.pattern = regex;
    } catch {
      // A pattern JavaScript cannot read is left out rather than approximated.
    }
  }
  if (attr.enum) {
    const keys = Object.keys(attr.enum);
    schema.enum = schema.type === 'integer' ? keys.map(Number) : keys;
  }
  return schema;
}

function attributeSchema(name, attr) {
  const dict = dictionary.attributes[name];
  if (!dict && !attr.type) throw new Error(`attribute ${name} is not in the dictionary`);
  const full = mergeAttr(dict ?? {}, attr);
  const value = valueSchema(full);
  return full.is_array ? { type: 'array', items: value } : value;
}

function entitySchema(title, { attributes, constraints }, extra = {}) {
  const properties = {};
  const required = [];
  for (const [name, attr] of Object.entries(attributes)) {
    const full = mergeAttr(dictionary.attributes[name] ?? {}, attr);
    properties[name] = attributeSchema(name, attr);
    if (full.type === 'timestamp_t' && !properties[`${name}_dt`])
      properties[`${name}_dt`] = { type: 'string', pattern: types.datetime_t.regex };
    if (attr.requirement === 'required' && !attr.profile) required.push(name);
  }
  Object.assign(properties, extra.properties ?? {});
  const schema = { title, type: 'object', properties, additionalProperties: false };
  if (required.length > 0) schema.required = required;
  if (constraints?.at_least_one) schema.anyOf = constraints.at_least_one.map((n) => ({ required: [n] }));
  if (constraints?.just_one) schema.oneOf = constraints.just_one.map((n) => ({ required: [n] }));
  return schema;
}

function objectDef(name) {
  if (defs[name]) return;
  defs[name] = {}; // placeholder: objects refer to each other
  const obj = loadObject(name);
  defs[name] = entitySchema(obj.caption ?? name, compiled(obj, loadObject));
}

const cls = findEvent(className);
const compiledClass = compiled(cls, findEvent);
// The category is the class's own or inherited (finding.json names `findings` for its subclasses).
function categoryOf(entity) {
  if (entity.category) return entity.category;
  if (entity.extends) return categoryOf(findEvent(entity.extends));
  throw new Error(`no category for ${entity.name}`);
}
const category = categories[categoryOf(cls)];
// class_uid = category uid * 1000 + class uid (OCSF "Understanding OCSF", and the server).
const classUid = category.uid * 1000 + cls.uid;
const activities = Object.keys(
  mergeAttr(dictionary.attributes.activity_id, compiledClass.attributes.activity_id).enum,
).map(Number);
const event = entitySchema(cls.caption, compiledClass);
event.properties.class_uid = { type: 'integer', const: classUid };
event.properties.category_uid = { type: 'integer', const: category.uid };
event.properties.type_uid = { type: 'integer', enum: activities.map((a) => classUid * 100 + a) };

const out = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `https://schema.ocsf.io/${version}/classes/${className}`,
  ...event,
  title: `OCSF ${version} ${cls.caption} (class_uid ${classUid})`,
  $defs: defs,
};
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
