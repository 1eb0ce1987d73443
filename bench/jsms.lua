-- wrk script for the smsgate load benchmark (driven by bench/run.py).
--
-- Arguments after `--`:  send <first_mobile> <temp_id>
--                        message <first_mobile> <temp_id>
--                        verify <pairs_file>
--                        jasmin <first_mobile> <json_fields>
-- send:   POST {path} with {"mobile": ..., "temp_id": ...}, a new mobile number per request:
--         the n-th request of thread t sends to first_mobile + (t * 10^7 + n) * STRIDE mod 10^8,
--         so no two requests of a run share a number, and the numbers are scattered over the
--         block as sign-ups are, not consecutive as a pumping attack's (the pumping defence's
--         range and sequence rules, in shadow mode by default, would record every send).
-- message: the same with "temp_para": {"code": "123456"} (POST /v1/messages, bench/e2e.py).
-- verify: POST /v1/codes/<msg_id>/valid with {"code": ...}, one line of <pairs_file>
--         ("msg_id code") per request, each thread using its own share of the lines. A thread
--         that runs out starts again from its first line; those repeats are counted as `reused`
--         so the caller can tell a measurement of first-time verifies from one that is not.
-- jasmin: POST {path} with {<json_fields>, "to": ...} (Jasmin's /send, bench/jasmin.py), a new
--         mobile number per request.
-- Every response status is counted, and done() prints one line "BENCH_RESULT {json}" with the
-- totals, the latency percentiles (microseconds) and the status counts.

local threads = {}
local next_id = 0

local THREAD_BLOCK = 10000000 -- requests (numbers) reserved per wrk thread
local BLOCK = 100000000 -- numbers from first_mobile on that a run may use
-- Coprime to BLOCK (odd, not a multiple of 5), so the mapping is one-to-one; near BLOCK times
-- the golden ratio, so successive numbers land far apart, in ever different 7-digit ranges.
local STRIDE = 61803399

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local mode
local first_mobile, sent, temp_id
local pairs_list, index
local wrapped = false
statuses = {}
reused = 0

local function read_pairs(path, thread_id, thread_count)
  local list = {}
  local line_no = 0
  for line in io.lines(path) do
    if line_no % thread_count == thread_id then
      local msg_id, code = line:match("^(%S+)%s+(%d+)$")
      if msg_id then
        table.insert(list, { msg_id = msg_id, code = code })
      end
    end
    line_no = line_no + 1
  end
  return list
end

function init(args)
  mode = args[1]
  if mode == "send" or mode == "message" or mode == "jasmin" then
    first_mobile = tonumber(args[2])
    sent = id * THREAD_BLOCK
    temp_id = args[3] -- for jasmin: the JSON fields but "to"
  elseif mode == "verify" then
    pairs_list = read_pairs(args[2], id, tonumber(args[3]))
    index = 0
    if #pairs_list == 0 then
      error("no msg_id/code pairs for thread " .. id)
    end
  else
    error("first script argument must be send, message, verify or jasmin, got " .. tostring(mode))
  end
end

-- The next number of this thread. The products stay below 2^53, so they are exact; the modulo
-- of doubles may still be off by one BLOCK, which the adjustment takes back.
local function next_mobile()
  local offset = (sent * STRIDE) % BLOCK
  if offset < 0 then
    offset = offset + BLOCK
  elseif offset >= BLOCK then
    offset = offset - BLOCK
  end
  sent = sent + 1
  return first_mobile + offset
end

function request()
  if mode == "send" then
    local body = string.format('{"mobile":"%d","temp_id":%s}', next_mobile(), temp_id)
    return wrk.format("POST", nil, nil, body)
  end
  if mode == "jasmin" then
    local body = string.format('{%s,"to":"%d"}', temp_id, next_mobile())
    return wrk.format("POST", nil, nil, body)
  end
  if mode == "message" then
    local body = string.format(
      '{"mobile":"%d","temp_id":%s,"temp_para":{"code":"123456"}}', next_mobile(), temp_id
    )
    return wrk.format("POST", nil, nil, body)
  end
  index = index + 1
  if index > #pairs_list then
    index = 1
    wrapped = true
  end
  if wrapped then
    reused = reused + 1
  end
  local pair = pairs_list[index]
  local path = "/v1/codes/" .. pair.msg_id .. "/valid"
  return wrk.format("POST", path, nil, '{"code":"' .. pair.code .. '"}')
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local function json_statuses(counts)
  local parts = {}
  for status, count in pairs(counts) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local totals = {}
  local total_reused = 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
    total_reused = total_reused + (thread:get("reused") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"duration_us":%d,"requests":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d},'
      .. '"statuses":%s,"reused":%d}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, json_statuses(totals), total_reused
  ))
end
