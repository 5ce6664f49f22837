-- wrk script for `retain bench ingest`: every request is a batch of BATCH track calls whose
-- messageIds are unique across threads and requests, so every event must be stored once.
-- Environment: RETAIN_BENCH_BATCH, RETAIN_BENCH_REQUESTS (per thread), RETAIN_BENCH_KEY,
-- RETAIN_BENCH_DELAY_MS (0 = as fast as possible), RETAIN_BENCH_DONE_DIR (where a thread whose share
-- of requests is acknowledged leaves a file, so the runner ends wrk then: wrk's own clock runs to -d).

local batch = tonumber(os.getenv("RETAIN_BENCH_BATCH") or "100")
local per_thread = tonumber(os.getenv("RETAIN_BENCH_REQUESTS") or "0")
local delay_ms = tonumber(os.getenv("RETAIN_BENCH_DELAY_MS") or "0")
local key = os.getenv("RETAIN_BENCH_KEY") or ""
local done_dir = os.getenv("RETAIN_BENCH_DONE_DIR") or ""

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

-- Globals, not locals: done() reads them from each thread with thread:get().
sent, acked, accepted, duplicates, non2xx = 0, 0, 0, 0, 0
local auth

local function b64(data)
  local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  return ((data:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#data % 3 + 1])
end

function init(args)
  auth = "Basic " .. b64(key .. ":")
end

local finished = false

function request()
  sent = sent + 1
  local events = {}
  for i = 1, batch do
    events[i] = string.format(
      '{"type":"track","userId":"u%d","event":"Report Viewed","messageId":"t%d-r%d-e%d","properties":{"feature":"reports"},"context":{"groupId":"bench-%d"}}',
      i % 50, id, sent, i, i % 20)
  end
  local body = '{"batch":[' .. table.concat(events, ",") .. ']}'
  return wrk.format("POST", "/v1/batch", { ["Content-Type"] = "application/json", ["Authorization"] = auth }, body)
end

function delay()
  return delay_ms
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    acked = acked + 1
    local a = body:match('"accepted":%s*(%d+)')
    local d = body:match('"duplicates":%s*(%d+)')
    accepted = accepted + (tonumber(a) or batch)
    duplicates = duplicates + (tonumber(d) or 0)
  else
    non2xx = non2xx + 1
  end
  -- A thread that has its share acknowledged says so and keeps sending until the runner stops wrk:
  -- stopping a thread from here would leave a half-sent request that stalls a sync server.
  if per_thread > 0 and not finished and acked >= per_thread then
    finished = true
    if done_dir ~= "" then
      local marker = io.open(done_dir .. "/thread-" .. id, "w")
      if marker then marker:write("done\n"); marker:close() end
    end
  end
end

function done(summary, latency, requests)
  local totals = { acked = 0, accepted = 0, duplicates = 0, non2xx = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + (thread:get(name) or 0)
    end
  end
  io.write(string.format(
    "RESULT requests=%d acked=%d accepted=%d duplicates=%d non2xx=%d errors=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, totals.acked, totals.accepted, totals.duplicates, totals.non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
