// Reads a Parquet file with DuckDB, the independent reader our tests compare against.
//
//   node duckdb_read.mjs FILE.parquet [--sql "SELECT ... FROM file"]
//
// The SQL (default: SELECT * FROM file) sees the file as the view `file`. Prints one JSON object:
//   {"columns": [{"name", "type"}], "rows": [[...], ...], "num_rows": N, "row_groups": G,
//    "key_value_metadata": {"key": "value", ...}}
// Integers come as decimal strings (exact beyond 2^53), floats as numbers (exact: a float32 or
// float64 round-trips through JSON), NaN and infinities as "NaN", "Infinity", "-Infinity", lists as
// arrays, NULL as null. On any error: DuckDB's message on stderr, exit code 1.
import { DuckDBInstance } from '@duckdb/node-api';

function toJson(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return value;
  }
  if (Array.isArray(value)) return value.map(toJson);
  return value;
}

function quoteLiteral(text) {
  return "'" + text.replaceAll("'", "''") + "'";
}

async function main() {
  const args = process.argv.slice(2);
  const sqlAt = args.indexOf('--sql');
  const sql = sqlAt >= 0 ? args[sqlAt + 1] : 'SELECT * FROM file';
  const path = args.find((a, i) => sqlAt < 0 || (i !== sqlAt && i !== sqlAt + 1));
  if (!path || (sqlAt >= 0 && !sql)) {
    throw new Error('usage: node duckdb_read.mjs FILE.parquet [--sql "SELECT ... FROM file"]');
  }
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  const file = quoteLiteral(path);
  await connection.run(`CREATE VIEW file AS SELECT * FROM read_parquet(${file})`);

  const result = await connection.runAndReadAll(sql);
  const types = result.columnTypes().map((t) => t.toString());
  const columns = result.columnNames().map((name, i) => ({ name, type: types[i] }));
  const rows = result.getRowsJS().map((row) => row.map(toJson));

  const meta = await connection.runAndReadAll(
    `SELECT num_rows FROM parquet_file_metadata(${file})`);
  const groups = await connection.runAndReadAll(
    `SELECT count(DISTINCT row_group_id) FROM parquet_metadata(${file})`);
  const kv = await connection.runAndReadAll(
    `SELECT decode(key), decode(value) FROM parquet_kv_metadata(${file})`);
  const keyValueMetadata = Object.fromEntries(kv.getRowsJS());

  process.stdout.write(JSON.stringify({
    columns,
    rows,
    num_rows: Number(meta.getRowsJS()[0][0]),
    row_groups: Number(groups.getRowsJS()[0][0]),
    key_value_metadata: keyValueMetadata,
  }) + '\n');
}

main().catch((error) => {
  process.stderr.write(`duckdb_read: ${error.message}\n`);
  process.exit(1);
});
