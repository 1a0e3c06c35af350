-- The pipeline's pandoc session: `pandoc lua session.lua`, a coprocess that
-- reads one JSON request per line on stdin and writes one JSON response per
-- line on stdout (see pipeline/pandoc.py). One process serves a whole brief:
-- reading every Markdown part, citeproc, BibTeX conversion and writing the
-- DOCX, EPUB and HTML outputs.
--
-- Confinement: pandoc's writers have no sandbox. Every `write` starts from
-- an empty media bag holding only the files the request names (validated by
-- the Python side: inside the brief folder or the templates), and refuses a
-- document whose images are not in it, or whose metadata names cover images
-- or stylesheets. The process runs with http_proxy pointing at a closed port,
-- so that a fetch pandoc might still attempt fails instead of leaving the
-- machine.

local json = pandoc.json
local ops = {}

local function read_file(path)
  local handle = assert(io.open(path, 'rb'))
  local data = handle:read('a')
  handle:close()
  return data
end

-- A failed write (a full disk) is an error with the system's reason, never a truncated file.
local function write_file(path, data)
  local handle = assert(io.open(path, 'wb'))
  local written, reason = handle:write(data)
  local closed, close_reason = handle:close()
  if not written or not closed then
    error('cannot write ' .. path .. ': ' .. tostring(reason or close_reason), 0)
  end
end

ops.ping = function() return 'pong' end

-- Markdown (or another text format) to the document tree.
-- {text, format} -> Pandoc
ops.read = function(req)
  return pandoc.read(req.text, req.format, nil, {})
end

-- Several texts at once: {texts = [...], format} -> [Pandoc]
ops.read_many = function(req)
  local docs = pandoc.List{}
  for _, text in ipairs(req.texts) do
    docs:insert(pandoc.read(text, req.format, nil, {}))
  end
  return docs
end

-- BibTeX or BibLaTeX text to CSL JSON text: {text, format}
ops.bibtex = function(req)
  local doc = pandoc.read(req.text, req.format or 'biblatex', nil, {})
  return pandoc.write(pandoc.Pandoc({}, {references = doc.meta.references or pandoc.List{}}), 'csljson')
end

local function references(kind, text)
  if kind == 'yaml' then
    -- pandoc's own YAML form: metadata of a Markdown document
    return pandoc.read(text, 'markdown', nil, {}).meta.references or pandoc.List{}
  end
  return pandoc.read(text, 'csljson', nil, {}).meta.references or pandoc.List{}
end

-- pandoc's YAML references (a Markdown document's metadata) as CSL JSON text: {text}
ops.yaml_to_csljson = function(req)
  return pandoc.write(pandoc.Pandoc({}, {references = references('yaml', req.text)}), 'csljson')
end

-- Citeproc on a document: {doc = JSON text, references = text,
-- references_kind = "csljson" or "yaml", csl = path, lang}. The style must
-- be independent (checked before): its locale and terms come from pandoc's
-- own data, nothing is fetched.
ops.citeproc = function(req)
  pandoc.mediabag.empty()
  local doc = pandoc.read(req.doc, 'json')
  doc.meta.references = references(req.references_kind, req.references)
  doc.meta.csl = req.csl
  doc.meta.lang = req.lang
  doc.meta['link-citations'] = false
  doc.meta['suppress-bibliography'] = req.suppress_bibliography or false
  doc.meta['notes-after-punctuation'] = false
  return pandoc.utils.citeproc(doc)
end

-- Refuse a document that could make a writer read or fetch anything but
-- the media bag.
local function check_confined(doc)
  for _, key in ipairs{'cover-image', 'epub-cover-image', 'css', 'stylesheet', 'bibliography',
                       'csl', 'references', 'header-includes', 'include-before', 'include-after'} do
    if doc.meta[key] ~= nil then
      error('refused: metadata key ' .. key .. ' would make pandoc read a file')
    end
  end
  doc:walk{
    Image = function(image)
      if not pandoc.mediabag.lookup(image.src) then
        error('refused: image ' .. image.src .. ' is not one of the files allowed for this document')
      end
    end,
    RawInline = function(raw) error('refused: raw ' .. raw.format .. ' content') end,
    RawBlock = function(raw) error('refused: raw ' .. raw.format .. ' content') end,
  }
end

-- Write a document: {doc = JSON text, format, out = path or nil,
-- media = [[name, mime, path]], options = WriterOptions fields,
-- standalone = bool}. Binary formats go to `out`; text formats are
-- returned when `out` is nil.
ops.write = function(req)
  pandoc.mediabag.empty()
  for _, item in ipairs(req.media or {}) do
    pandoc.mediabag.insert(item[1], item[2], read_file(item[3]))
  end
  local doc = pandoc.read(req.doc, 'json')
  check_confined(doc)
  local options = req.options or {}
  if req.standalone then
    options.template = pandoc.template.compile(pandoc.template.default(req.format))
  end
  local output = pandoc.write(doc, req.format, options)
  pandoc.mediabag.empty()
  if req.out then
    write_file(req.out, output)
    return {bytes = #output}
  end
  return output
end

-- Write several fragments of inlines or blocks as one format:
-- {docs = [JSON text], format} -> [text]
ops.write_many = function(req)
  pandoc.mediabag.empty()
  local out = pandoc.List{}
  for _, text in ipairs(req.docs) do
    local doc = pandoc.read(text, 'json')
    check_confined(doc)
    out:insert(pandoc.write(doc, req.format, req.options or {}))
  end
  return out
end

local function message_text(message)
  local ok, decoded = pcall(function() return json.decode(json.encode(message), false) end)
  if ok and type(decoded) == 'table' then
    return {type = decoded.type, verbosity = decoded.verbosity, text = decoded.pretty}
  end
  return {text = tostring(message)}
end

local function handle(req)
  local op = ops[req.op]
  if not op then error('unknown request ' .. tostring(req.op)) end
  return op(req)
end

for line in io.lines() do
  local decoded, req = pcall(json.decode, line, false)
  local response
  if not decoded or type(req) ~= 'table' then
    response = {ok = false, error = 'malformed request'}
  else
    local messages, ok, result = pandoc.log.silence(pcall, handle, req)
    local log = pandoc.List{}
    for _, message in ipairs(messages) do log:insert(message_text(message)) end
    response = {id = req.id, ok = ok, log = log}
    if ok then response.result = result else response.error = tostring(result) end
  end
  io.stdout:write(json.encode(response), '\n')
  io.stdout:flush()
end
