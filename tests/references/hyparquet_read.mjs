// Reads a Parquet file with hyparquet, a second independent reader (pure JavaScript, written
// from the format specification), for the fruits tests.
//
//   node hyparquet_read.mjs FILE.parquet
//
// Prints one JSON object in the form duckdb_read.mjs uses (values through json_values.mjs):
//   {"columns": [{"name": "path", "type": "BYTE_ARRAY"}, ...],  // top-level columns, Parquet types
//    "rows": [[...], ...], "num_rows": N, "row_groups": G, "key_value_metadata": {...}}
// A list column's type is "LIST<FLOAT>". On any error: the message on stderr, exit code 1.
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

import { toJson } from './json_values.mjs';

// Top-level columns of the flattened schema, with their physical (or LIST<leaf>) type.
function topLevelColumns(schema) {
  const columns = [];
  for (let i = 1; i < schema.length;) {
    const element = schema[i];
    if (element.num_children) {
      const leaf = schema[i + 2];
      columns.push({ name: element.name, type: `${element.converted_type}<${leaf.type}>` });
      i += 3;
    } else {
      columns.push({ name: element.name, type: element.type });
      i += 1;
    }
  }
  return columns;
}

async function main() {
  const path = process.argv[2];
  if (!path) throw new Error('usage: node hyparquet_read.mjs FILE.parquet');
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const columns = topLevelColumns(metadata.schema);
  const objects = await parquetReadObjects({ file, compressors });  // adds ZSTD and others
  process.stdout.write(toJson({
    columns,
    rows: objects.map((row) => columns.map((c) => row[c.name])),
    num_rows: Number(metadata.num_rows),
    row_groups: metadata.row_groups.length,
    key_value_metadata: Object.fromEntries(
      (metadata.key_value_metadata ?? []).map(({ key, value }) => [key, value ?? ''])),
  }) + '\n');
}

main().catch((error) => {
  process.stderr.write(`hyparquet_read: ${error.message}\n`);
  process.exit(1);
});
