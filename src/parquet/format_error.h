// The error raised while decoding bytes that do not follow the Parquet format.
//
// Decoders deep inside the reader (Thrift, levels, pages) throw FormatError with what is wrong;
// ParquetReader adds the file name at its boundary, so users see "FILE: what is wrong".
#pragma once

#include "util/error.h"

namespace fruits::parquet {

class FormatError : public Error {
 public:
  using Error::Error;
};

}  // namespace fruits::parquet
