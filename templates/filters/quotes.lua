-- Typographic quotes by language: pandoc's smart extension turns "..." and
-- '...' into quotations; this writes them with the marks the brief's
-- language uses (pandoc's writers would use English marks everywhere).
-- The same table is in pipeline/render.py (QUOTES) for the PDF's title block.
local QUOTES = {
  en = {"\u{201C}", "\u{201D}", "\u{2018}", "\u{2019}"},
  es = {"\u{00AB}", "\u{00BB}", "\u{201C}", "\u{201D}"},
  fr = {"\u{00AB}\u{00A0}", "\u{00A0}\u{00BB}", "\u{201C}", "\u{201D}"},
  de = {"\u{201E}", "\u{201C}", "\u{201A}", "\u{2018}"},
  pt = {"\u{201C}", "\u{201D}", "\u{2018}", "\u{2019}"},
}

local marks = QUOTES.en

local function set_language(meta)
  local lang = meta.lang and pandoc.utils.stringify(meta.lang) or "en"
  marks = QUOTES[lang:match("^(%a+)"):lower()] or QUOTES.en
end

local function quoted(el)
  local open, close = marks[1], marks[2]
  if el.quotetype == "SingleQuote" then
    open, close = marks[3], marks[4]
  end
  local out = pandoc.List({pandoc.Str(open)})
  out:extend(el.content)
  out:insert(pandoc.Str(close))
  return out
end

return {{Meta = set_language}, {Quoted = quoted}}
