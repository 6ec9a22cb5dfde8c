#pragma once
// Text placed into GitHub-flavoured markdown: escaped once, the same way in
// every part of the pull-request comment.
#include <string>

namespace schemac::review {

// <, > and & as entities: text inside HTML (<details>, <sub>).
std::string html_escape(const std::string& s);
// One table cell: newlines become spaces, pipes are escaped, HTML too.
std::string markdown_cell(const std::string& s);
// An identifier as code: `name` (a backtick in it fenced by two).
std::string code_span(const std::string& s);
// The same in a table cell: its pipes escaped (GitHub splits cells at a pipe
// even inside a code span).
std::string code_cell(const std::string& s);

}  // namespace schemac::review
