/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the one byte form of a JSON value that every validator signs
 * and hashes. Object keys are sorted by UTF-16 code units, numbers use ECMAScript's Number-to-String, strings
 * escape only what JSON requires (lowercase \u00XX for other controls), no whitespace. Values outside I-JSON
 * (RFC 7493) are refused rather than coerced, so a canonical form is never lossy (see SPEC.md I1, I2); so is the
 * key `__proto__`, which JavaScript handles differently depending on how an object was built.
 */
import { MeridianError } from '../errors/registry.ts';

/** The deepest nesting of objects and arrays a canonical value may have. */
export const CANONICAL_DEPTH_MAX = 64;

/** A JSON value as canonicalization accepts it. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A JSON object (the shape of transaction payloads). */
export type JsonObject = { readonly [key: string]: JsonValue };

// A lone surrogate is a Cs code point under the `u` flag; a well-formed pair is one astral code point.
const LONE_SURROGATE = /\p{Cs}/u;

function refuse(reason: string, path: string): never {
  throw new MeridianError('MER_LEDGER_INVALID_JSON', `${path} cannot be canonical JSON: ${reason}`, { path, reason });
}

function serializeString(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) refuse('the string holds a lone UTF-16 surrogate (not I-JSON)', path);
  // ECMAScript's JSON.stringify on a well-formed string is exactly RFC 8785 §3.2.2.2: \b \t \n \f \r \" \\,
  // other controls as lowercase \u00xx, everything else (including / and U+2028) as is.
  return JSON.stringify(s);
}

function serializeNumber(n: number, path: string): string {
  if (!Number.isFinite(n)) refuse(`${n} is not a finite number`, path);
  // Number::toString is RFC 8785 §3.2.2.3; it already writes -0 as 0.
  return String(n);
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function serialize(value: unknown, path: string, ancestors: object[]): string {
  switch (typeof value) {
    case 'string':
      return serializeString(value, path);
    case 'number':
      return serializeNumber(value, path);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return refuse('undefined has no JSON form', path);
    case 'bigint':
      return refuse('a bigint has no I-JSON form (use a string or a safe integer)', path);
    case 'function':
      return refuse('a function has no JSON form', path);
    case 'symbol':
      return refuse('a symbol has no JSON form', path);
    case 'object':
      break;
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (ancestors.includes(obj)) refuse('the value contains a cycle', path);
  if (ancestors.length >= CANONICAL_DEPTH_MAX) refuse(`nesting is deeper than ${CANONICAL_DEPTH_MAX}`, path);
  ancestors.push(obj);
  let out: string;
  if (Array.isArray(obj)) {
    const parts: string[] = [];
    for (let i = 0; i < obj.length; i += 1) {
      if (!(i in obj)) refuse(`array element ${i} is a hole`, path);
      parts.push(serialize(obj[i], `${path}[${i}]`, ancestors));
    }
    out = `[${parts.join(',')}]`;
  } else {
    if (!isPlainObject(obj)) refuse(`a ${obj.constructor?.name ?? 'non-plain'} object has no canonical form`, path);
    if (Object.getOwnPropertySymbols(obj).length > 0) refuse('an object has symbol keys', path);
    const record = obj as Record<string, unknown>;
    // The default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 prescribes.
    const keys = Object.keys(record).sort();
    const parts: string[] = [];
    for (const key of keys) {
      const childPath = `${path}.${key}`;
      // JS code builds, copies and validates objects with a `__proto__` key inconsistently (a literal sets the
      // prototype, JSON.parse makes an own property, Zod drops it), so such a value cannot be signed safely.
      if (key === '__proto__') refuse('the key __proto__ is not allowed', childPath);
      parts.push(`${serializeString(key, childPath)}:${serialize(record[key], childPath, ancestors)}`);
    }
    out = `{${parts.join(',')}}`;
  }
  ancestors.pop();
  return out;
}

/** The RFC 8785 canonical text of `value`; MER_LEDGER_INVALID_JSON for anything outside I-JSON. */
export function canonicalize(value: unknown): string {
  return serialize(value, '$', []);
}

/** The UTF-8 bytes of {@link canonicalize}: what is hashed and signed. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}
