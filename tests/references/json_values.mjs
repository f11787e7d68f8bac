// JSON text for values read by the reference readers, in the form the fruits tests compare:
// integers (BigInt) as decimal strings, floats as numbers (-0.0 keeps its sign), NaN and
// infinities as "NaN", "Infinity", "-Infinity", arrays and typed arrays as arrays, NULL as null.
export function toJson(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return `"${value}"`;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '"NaN"';
    if (!Number.isFinite(value)) return value > 0 ? '"Infinity"' : '"-Infinity"';
    return Object.is(value, -0) ? '-0.0' : JSON.stringify(value);
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return `[${Array.from(value, toJson).join(',')}]`;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
