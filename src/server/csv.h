#pragma once
// CSV import (RFC 4180: comma separated, double-quoted fields with "" escapes, no newlines
// inside fields). The header row names report fields (service, ts, problem, lat, lon, city,
// country, ip, reporter, text, source); each row becomes the JSON object the ingest parser
// accepts, so CSV and NDJSON imports share one validation path.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace om::server {

// Splits one CSV line into fields. kInvalidArgument on an unterminated quote or stray quote.
Result<std::vector<std::string>> SplitCsvLine(std::string_view line);

class CsvHeader {
 public:
  // Reads the header row. kInvalidArgument naming an unknown or repeated column, or a header
  // without a `service` column.
  Status Parse(std::string_view line);
  // Converts a data row to one JSON object: numeric columns (ts, lat, lon) are written as numbers
  // when they look like numbers, empty cells are left out. kInvalidArgument when the row has a
  // different number of fields than the header.
  Result<std::string> RowToJson(std::string_view line) const;

 private:
  std::vector<std::string> columns_;
};

}  // namespace om::server
