// `fruits inspect FILE.parquet`: what a Parquet file holds, for a person at a terminal.

#include <fmt/core.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/run_summary.h"
#include "cli/s3_flags.h"
#include "parquet/compression.h"
#include "parquet/reader.h"

namespace fruits::cli {

namespace {

struct InspectOptions {
  std::string path;
  int rows = 5;               // first rows to print
  int list_values_shown = 6;  // values printed per list before "..."
  storage::S3Options s3;
};

std::string HumanBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[unit]);
}

// A statistics bound (PLAIN bytes) as text.
std::string BoundText(parquet::ColumnType type, const std::string& bytes) {
  auto decode = [&bytes]<typename T>(T value) {
    if (bytes.size() == sizeof(T)) std::memcpy(&value, bytes.data(), sizeof(T));
    return value;
  };
  switch (type) {
    case parquet::ColumnType::kInt64:
      return fmt::format("{}", decode(int64_t{0}));
    case parquet::ColumnType::kFloat:
      return fmt::format("{}", decode(0.0f));
    case parquet::ColumnType::kDouble:
      return fmt::format("{}", decode(0.0));
    default:
      return bytes.size() > 40 ? "'" + bytes.substr(0, 37) + "...'" : "'" + bytes + "'";
  }
}

std::string CellText(const parquet::ColumnData& c, int64_t row, int list_values_shown) {
  if (!c.IsValid(row)) return "null";
  switch (c.type) {
    case parquet::ColumnType::kString:
      return "'" + c.strings[row] + "'";
    case parquet::ColumnType::kInt64:
      return fmt::format("{}", c.int64s[row]);
    case parquet::ColumnType::kFloat:
      return fmt::format("{}", c.floats[row]);
    case parquet::ColumnType::kDouble:
      return fmt::format("{}", c.doubles[row]);
    case parquet::ColumnType::kFloatList: {
      int64_t begin = c.list_offsets[row], end = c.list_offsets[row + 1];
      std::string text = "[";
      for (int64_t i = begin; i < end && i < begin + list_values_shown; ++i) {
        text += fmt::format("{}{:.6g}", i == begin ? "" : ", ", c.floats[i]);
      }
      if (end - begin > list_values_shown) text += fmt::format(", ... {} values", end - begin);
      return text + "]";
    }
    case parquet::ColumnType::kStringList: {
      int64_t begin = c.list_offsets[row], end = c.list_offsets[row + 1];
      std::string text = "[";
      for (int64_t i = begin; i < end && i < begin + list_values_shown; ++i) {
        text += fmt::format("{}'{}'", i == begin ? "" : ", ", c.strings[i]);
      }
      if (end - begin > list_values_shown) text += fmt::format(", ... {} values", end - begin);
      return text + "]";
    }
  }
  return "?";
}

void PrintColumns(const parquet::ParquetReader& reader) {
  const parquet::FileMetaData& m = reader.metadata();
  fmt::print("\ncolumns\n  {:<16} {:<12} {:<9} {:<13} {:>12} {:>12}  {}\n", "name", "type",
             "nullable", "codec", "stored", "raw", "min .. max (nulls)");
  for (size_t c = 0; c < reader.schema().size(); ++c) {
    const parquet::ColumnSpec& spec = reader.schema().column(c);
    int64_t stored = 0, raw = 0;
    std::string codec = "-", range;
    for (const parquet::RowGroup& rg : m.row_groups) {
      const parquet::ColumnMetaData& cm = rg.columns[c].meta_data;
      stored += cm.total_compressed_size;
      raw += cm.total_uncompressed_size;
      codec = parquet::CodecName(cm.codec);
      if (m.row_groups.size() == 1 && cm.statistics) {
        const parquet::Statistics& s = *cm.statistics;
        if (s.min_value && s.max_value) {
          range = BoundText(spec.type, *s.min_value) + " .. " + BoundText(spec.type, *s.max_value);
        }
        if (s.null_count) range += fmt::format(" ({} nulls)", *s.null_count);
      }
    }
    fmt::print("  {:<16} {:<12} {:<9} {:<13} {:>12} {:>12}  {}\n", spec.name,
               parquet::ColumnTypeName(spec.type), spec.nullable ? "yes" : "no", codec,
               HumanBytes(static_cast<double>(stored)), HumanBytes(static_cast<double>(raw)),
               range);
  }
}

void PrintFirstRows(const parquet::ParquetReader& reader, const InspectOptions& options) {
  if (options.rows <= 0 || reader.num_rows() == 0) return;
  fmt::print("\nfirst rows\n");
  int printed = 0;
  for (int g = 0; g < reader.num_row_groups() && printed < options.rows; ++g) {
    std::vector<parquet::ColumnData> columns = reader.ReadRowGroup(g);
    for (int64_t row = 0; row < columns[0].num_rows && printed < options.rows; ++row, ++printed) {
      fmt::print("  #{}\n", printed);
      for (size_t c = 0; c < columns.size(); ++c) {
        fmt::print("    {}: {}\n", reader.schema().column(c).name,
                   CellText(columns[c], row, options.list_values_shown));
      }
    }
  }
}

void Inspect(const InspectOptions& options) {
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(options.s3);
  if (std::filesystem::is_directory(options.path) ||
      store->Exists(options.path + "/manifest.json")) {
    PrintRunSummary(*store, options.path);
    return;
  }
  std::unique_ptr<storage::RandomAccessFile> file = store->NewRandomAccessFile(options.path);
  const uint64_t size = file->size();
  parquet::ParquetReader reader(std::move(file));
  const parquet::FileMetaData& m = reader.metadata();
  fmt::print("file        {}\n", options.path);
  fmt::print("size        {} ({} bytes)\n", HumanBytes(static_cast<double>(size)), size);
  fmt::print("created by  {}\n", m.created_by.empty() ? "(not recorded)" : m.created_by);
  fmt::print("rows        {}\n", reader.num_rows());
  fmt::print("row groups  {}\n", reader.num_row_groups());
  PrintColumns(reader);
  if (!m.key_value_metadata.empty()) {
    fmt::print("\nkey-value metadata\n");
    for (const parquet::KeyValue& kv : m.key_value_metadata) {
      fmt::print("  {} = {}\n", kv.key, kv.value);
    }
  }
  PrintFirstRows(reader, options);
}

}  // namespace

void AddInspectCommand(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Show a Parquet file's schema, rows, row groups, compression, metadata and first rows; or, "
      "given a run's output folder, the run's summary");
  cmd->add_option("file", options->path, "Parquet file, or a run's output folder")->required();
  cmd->add_option("--rows", options->rows, "How many first rows to print")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  AddS3Flags(*cmd, options->s3);
  cmd->callback([options] { Inspect(*options); });
}

}  // namespace fruits::cli
