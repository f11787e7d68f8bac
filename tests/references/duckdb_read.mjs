// Reads a Parquet file with DuckDB, the independent reader our tests compare against.
//
//   node duckdb_read.mjs FILE.parquet [--sql "SELECT ... FROM file"]
//
// The SQL (default: SELECT * FROM file) sees the file as the view `file`. Prints one JSON object:
//   {"columns": [{"name": "path", "type": "VARCHAR"}, ...],  // DuckDB type names: BIGINT, FLOAT[], ...
//    "rows": [[...], ...], "num_rows": N, "row_groups": G, "key_value_metadata": {"key": "value", ...}}
// Integers come as decimal strings (exact beyond 2^53); floats as numbers (exact: a float32 or
// float64 round-trips through JSON; negative zero is written -0.0); NaN and infinities as the strings
// "NaN", "Infinity", "-Infinity"; lists as arrays, structs as objects, NULL as null.
// On any error: DuckDB's message on stderr, exit code 1.
import { DuckDBInstance, DuckDBTypeId, JSDuckDBValueConverter } from '@duckdb/node-api';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { toJson } from './json_values.mjs';

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT',
  'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT'].map((name) => DuckDBTypeId[name]));

// DuckDB value -> JS value as getRowsJS() makes it, except integers of every width -> decimal string.
function toJs(value, type, converter) {
  if (value != null && INTEGER_TYPES.has(type.typeId)) return String(value);
  return JSDuckDBValueConverter(value, type, converter);
}

function quoteLiteral(text) {
  return "'" + text.replaceAll("'", "''") + "'";
}

async function main() {
  const args = process.argv.slice(2);
  const sqlAt = args.indexOf('--sql');
  const sql = sqlAt >= 0 ? args[sqlAt + 1] : 'SELECT * FROM file';
  let path = args.find((a, i) => sqlAt < 0 || (i !== sqlAt && i !== sqlAt + 1));
  if (!path || (sqlAt >= 0 && !sql)) {
    throw new Error('usage: node duckdb_read.mjs FILE.parquet [--sql "SELECT ... FROM file"]');
  }
  // DuckDB treats * ? [ { as a glob and a leading ~ as home; read such a path through a plain link.
  if (/[*?[{]/.test(path) || path.startsWith('~')) {
    const dir = mkdtempSync(join(tmpdir(), 'duckdb_read-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    symlinkSync(resolve(path), join(dir, 'file.parquet'));
    path = join(dir, 'file.parquet');
  }
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  const file = quoteLiteral(path);
  await connection.run(`CREATE VIEW file AS SELECT * FROM read_parquet(${file})`);

  const result = await connection.runAndReadAll(sql);
  const types = result.columnTypes().map((t) => t.toString());
  const columns = result.columnNames().map((name, i) => ({ name, type: types[i] }));

  const meta = await connection.runAndReadAll(
    `SELECT num_rows FROM parquet_file_metadata(${file})`);
  const groups = await connection.runAndReadAll(
    `SELECT count(DISTINCT row_group_id) FROM parquet_metadata(${file})`);
  const kv = await connection.runAndReadAll(
    `SELECT decode(key), decode(value) FROM parquet_kv_metadata(${file})`);

  process.stdout.write(toJson({
    columns,
    rows: result.convertRows(toJs),
    num_rows: Number(meta.getRowsJS()[0][0]),
    row_groups: Number(groups.getRowsJS()[0][0]),
    key_value_metadata: Object.fromEntries(kv.getRowsJS()),
  }) + '\n');
}

main().catch((error) => {
  process.stderr.write(`duckdb_read: ${error.message}\n`);
  process.exit(1);
});
