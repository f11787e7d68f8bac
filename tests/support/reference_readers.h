// Independent Parquet readers our tests compare against: DuckDB (tests/references/duckdb_read.mjs)
// and hyparquet, a pure JavaScript reader (tests/references/hyparquet_read.mjs).
//
// Each returns its script's JSON: {"columns": [{"name", "type"}], "rows": [[...]], "num_rows",
// "row_groups", "key_value_metadata": {...}}; int64 values come as decimal strings, NaN and
// infinities as the strings "NaN", "Infinity", "-Infinity". A reader that fails fails the test.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/run_command.h"

namespace fruits::testing {

inline nlohmann::json RunReferenceReader(const std::string& script, const std::string& arguments) {
  std::string command = "node " +
                        ShellQuote(std::string(FRUITS_SOURCE_DIR) + "/tests/references/" + script) +
                        " " + arguments;
  CommandResult r = RunCommand(command);
  EXPECT_EQ(r.exit_code, 0) << script << " failed: " << r.err;
  if (r.exit_code != 0) return nlohmann::json::object();
  return nlohmann::json::parse(r.out);
}

// `sql` may use the view `file`, e.g. "SELECT count(*) FROM file"; empty means every row.
inline nlohmann::json DuckDbRead(const std::string& parquet_path, const std::string& sql = "") {
  return RunReferenceReader(
      "duckdb_read.mjs",
      ShellQuote(parquet_path) + (sql.empty() ? "" : " --sql " + ShellQuote(sql)));
}

inline nlohmann::json HyparquetRead(const std::string& parquet_path) {
  return RunReferenceReader("hyparquet_read.mjs", ShellQuote(parquet_path));
}

}  // namespace fruits::testing
