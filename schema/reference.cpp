#include "schema/reference.hpp"

#include <algorithm>

namespace schemac {

namespace {
std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}
}  // namespace

std::optional<TableReference> parse_table_reference(std::string_view text) {
  TableReference out;
  auto open = text.find('(');
  auto target = trim(text.substr(0, open));
  if (target.empty()) return std::nullopt;
  auto dot = target.find('.');
  out.table = dot == std::string::npos ? QualifiedName{"", target}
                                       : QualifiedName{target.substr(0, dot), target.substr(dot + 1)};
  if (out.table.name.empty()) return std::nullopt;
  if (open != std::string_view::npos) {
    auto close = text.find(')', open);
    if (close == std::string_view::npos || !trim(text.substr(close + 1)).empty()) return std::nullopt;
    // Split by hand: getline drops the empty last item of "t(a,)".
    std::string_view list = text.substr(open + 1, close - open - 1);
    for (std::size_t start = 0;;) {
      auto comma = list.find(',', start);
      out.columns.push_back(
          trim(list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
      if (out.columns.back().empty()) return std::nullopt;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

const std::vector<std::string>& on_delete_actions() {
  static const std::vector<std::string> actions = {"cascade", "restrict", "set null", "set default", "no action"};
  return actions;
}

std::string on_delete_sql(const std::string& action) {
  if (action == "no action" || action.empty()) return "";
  std::string out = action;
  std::transform(out.begin(), out.end(), out.begin(), ::toupper);
  return out;
}

}  // namespace schemac
