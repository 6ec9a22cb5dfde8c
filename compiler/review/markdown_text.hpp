#pragma once
// Text placed into GitHub-flavoured markdown: escaped once, the same way in
// every part of the pull-request comment.
#include <string>

namespace schemac::review {

// <, > and & as entities: text inside HTML (<details>, <sub>).
std::string html_escape(const std::string& s);
// One table cell: newlines become spaces, pipes are escaped, HTML too.
std::string markdown_cell(const std::string& s);

}  // namespace schemac::review
