#pragma once
// Printing tables for the commands: rows of an SQL query or a computed report::Table, as an
// aligned text table (cells cut at 60 characters, NULL for a missing value), CSV (RFC 4180
// quoting) or a JSON array of objects (numbers stay numbers). Output goes to the given FILE*.

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pipeline {
class Store;
}

namespace pipeline::report {
struct Table;
}

namespace pipeline::cli {

enum class TableFormat { kAligned, kCsv, kJson };

// Runs `sql` read-only on `store` and prints its rows.
void PrintQuery(Store& store, const std::string& sql, TableFormat format, FILE* out);
// Prints given rows (NULL as an empty optional) in one of the formats.
void PrintTable(const std::vector<std::string>& columns,
                const std::vector<std::vector<std::optional<std::string>>>& rows,
                TableFormat format, FILE* out);
void PrintTable(const report::Table& table, TableFormat format, FILE* out);

// One cell as JSON: null for NULL, a number when the whole text is one (an integer unless it
// has a point or exponent), otherwise the text.
nlohmann::json JsonValue(const std::optional<std::string>& value);

}  // namespace pipeline::cli
