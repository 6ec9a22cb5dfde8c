#include "compiler/review/markdown_text.hpp"

namespace schemac::review {

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

std::string markdown_cell(const std::string& s) {
  std::string out;
  for (char c : html_escape(s)) {
    if (c == '\n')
      out += ' ';
    else if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out;
}

std::string code_span(const std::string& s) {
  return s.find('`') == std::string::npos ? "`" + s + "`" : "`` " + s + " ``";
}

std::string code_cell(const std::string& s) {
  std::string inner;
  for (char c : s) {
    if (c == '\n')
      inner += ' ';
    else if (c == '|')
      inner += "\\|";
    else
      inner += c;
  }
  return code_span(inner);
}

}  // namespace schemac::review
