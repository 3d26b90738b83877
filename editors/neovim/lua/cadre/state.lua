-- cadre.state: what the server has told us, kept for the statusline, :CadreStatus and :CadreLast.
--
-- Fed by the handlers (cadre/jobs, cadre/result, $/progress) of every cadre client; read-only for
-- everything else. `changed()` redraws statuslines and fires `User CadreUpdate` for user hooks.

local M = {
  jobs = {},        -- from cadre/jobs: { {jobId, action, uri, step}, ... } currently running
  models = {},      -- from cadre/jobs: { role = model }
  progress = {},    -- token -> { title, message, percentage } for cadre progress not yet ended
  progress_seen = 0, -- how many $/progress notifications arrived (any kind), for tests and health
  last = nil,       -- the last cadre/result of any action
  last_explain = nil, -- the last explain result (what :CadreLast shows)
  results = 0,      -- how many cadre/result notifications arrived
  begun = {},       -- titles of the last progress begins (newest last, at most 20)
}

function M.changed()
  pcall(vim.cmd, 'redrawstatus!')
  if vim.fn.exists('#User#CadreUpdate') == 1 then
    pcall(vim.cmd, 'doautocmd <nomodeline> User CadreUpdate')
  end
end

--- Record one $/progress value ({kind = begin|report|end, title, message, percentage}).
function M.on_progress(token, value)
  if type(value) ~= 'table' then
    return
  end
  M.progress_seen = M.progress_seen + 1
  local key = tostring(token)
  if value.kind == 'begin' then
    M.progress[key] = { title = value.title, message = value.message, percentage = value.percentage }
    table.insert(M.begun, value.title or '')
    if #M.begun > 20 then
      table.remove(M.begun, 1)
    end
  elseif value.kind == 'report' then
    local p = M.progress[key] or {}
    p.message = value.message or p.message
    p.percentage = value.percentage or p.percentage
    M.progress[key] = p
  elseif value.kind == 'end' then
    M.progress[key] = nil
    M.last_end = { message = value.message, at = (vim.uv or vim.loop).now() }
  end
  M.changed()
end

function M.on_jobs(params)
  M.jobs = (params and params.running) or {}
  M.models = (params and params.models) or {}
  M.changed()
end

function M.on_result(params)
  M.results = M.results + 1
  M.last = params
  if params.action == 'explain' then
    M.last_explain = params
  end
  M.changed()
end

local function count(t)
  local n = 0
  for _ in pairs(t) do
    n = n + 1
  end
  return n
end

--- A short statusline component: '' when idle, else e.g. 'cadre: Fix · generating 40% (+1)'.
function M.statusline()
  local first
  for _, p in pairs(M.progress) do
    if not first or (p.title or '') < (first.title or '') then
      first = p
    end
  end
  local running = math.max(#M.jobs, count(M.progress))
  if running == 0 then
    return ''
  end
  local text
  if first then
    text = first.title or 'cadre'
    if first.message and first.message ~= '' then
      text = text .. ' · ' .. first.message
    end
    if first.percentage and first.percentage > 0 then
      text = text .. string.format(' %d%%', first.percentage)
    end
  else
    local job = M.jobs[1]
    local action = job.action or '?'
    text = 'cadre: ' .. action:sub(1, 1):upper() .. action:sub(2)
    if job.step and job.step ~= '' then
      text = text .. ' · ' .. job.step
    end
  end
  if running > 1 then
    text = text .. string.format(' (+%d)', running - 1)
  end
  return text
end

return M
