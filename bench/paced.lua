-- wrk script for paced runs (bench/run.py): bench/jsms.lua's requests at a fixed rate.
--
-- Arguments after `--`: those of jsms.lua, then the rate in requests per second for each wrk
-- thread. wrk has no rate option (wrk2 does, but is not packaged), so delay() holds each request
-- until its turn on a fixed schedule: the n-th request of a thread is due n/rate seconds after
-- its first, read from CLOCK_MONOTONIC through LuaJIT's ffi. wrk counts a request's latency from
-- when it is written, so a server that falls behind the schedule shows as a lower rate, not as
-- queueing time (wrk2 would add that); at half the server's maximum rate it stays on schedule.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "jsms.lua")

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1e6 + tonumber(clock.tv_nsec) / 1e3
end

local interval_us, due_us
local jsms_init = init

function init(args)
  local rate = tonumber(table.remove(args))
  if not rate or rate <= 0 then
    error("the last script argument must be the requests per second of each thread")
  end
  interval_us = 1e6 / rate
  jsms_init(args)
end

-- Milliseconds until this request is due (wrk's timers have millisecond resolution, so a
-- request may leave up to 1 ms early; the schedule itself does not drift).
function delay()
  local now = now_us()
  if not due_us then
    due_us = now
  end
  local wait = due_us - now
  due_us = due_us + interval_us
  if wait <= 0 then
    return 0
  end
  return math.floor(wait / 1000)
end
