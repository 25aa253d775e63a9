-- wrk script for bench/scan_load.py: replays pre-generated requests and records every response.
--
--   wrk -t N -c N -d <limit> -s bench/scan_load.lua <url> -- <prefix> <once|cycle> <deadline_us> <out>
--
-- Run it with as many threads as connections, so each thread drives exactly one connection.
-- Thread i (0-based) reads <prefix><i>.tsv: one request per line, tab-separated fields
--
--   METHOD  PATH  BODY  NAME1  VALUE1  NAME2  VALUE2 ...      (BODY empty for none)
--
-- "once": each line is sent at most once (voucher codes and request nonces are one-time); the
-- first line of thread 0 is never sent (wrk calls request() once to check it before starting).
-- "cycle": the lines repeat.
--
-- <deadline_us> is a CLOCK_MONOTONIC time in microseconds (Python's time.monotonic_ns() // 1000),
-- the same for every thread. A thread sends nothing after it, and stops right after its first
-- response received after it (or when its lines run out), so it never abandons a request: what
-- the server did and what was recorded agree exactly. Stopping at one deadline for all threads
-- matters with gunicorn's sync workers: wrk opens the next connection as soon as a response
-- arrives, and such an idle connection holds a worker until wrk exits; with one deadline, every
-- real request is queued before those idle connections and so is served first. A stopped thread
-- creates <out>.stopped.<i>, so the caller knows when to interrupt wrk (which otherwise sleeps
-- until <limit>).
--
-- done() writes <out>: a line "r <thread> <sent_us> <latency_us> <status>" per response (times from
-- CLOCK_MONOTONIC, taken when wrk hands the request over and when the response is complete), a
-- line "t <thread> <requests> <responses> <stopped_itself> <ran_out> <in_flight>" per thread, and
-- a line "e <connect> <read> <write> <timeout>" with wrk's socket errors.
--
-- wrk's own summary is not used: its Requests/sec divides by the whole <limit>, and its latency
-- distribution includes wrk 4's synthetic coordinated-omission samples.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } scan_load_timespec;
int clock_gettime(int clock_id, scan_load_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("scan_load_timespec")

local function now_us()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
   return tonumber(timespec.tv_sec) * 1000000 + math.floor(tonumber(timespec.tv_nsec) / 1000)
end

local function split_tabs(line)
   local fields, start = {}, 1
   while true do
      local tab = string.find(line, "\t", start, true)
      if not tab then
         fields[#fields + 1] = string.sub(line, start)
         return fields
      end
      fields[#fields + 1] = string.sub(line, start, tab - 1)
      start = tab + 1
   end
end

-- Main state: the threads, for done().
local threads = {}

function setup(thread)
   thread:set("id", #threads)
   threads[#threads + 1] = thread
end

-- Thread state. done() runs in the main state and reads a thread's globals with thread:get(),
-- so what it needs is global: out_path, sent, records, stopped_itself, ran_out, in_flight.
local requests = {}
local mode, deadline
local index = 0
local sent_at = 0
out_path = nil
sent = 0
records = {}
stopped_itself = false
ran_out = false
in_flight = false

function init(args)
   local prefix = args[1]
   mode, deadline, out_path = args[2], tonumber(args[3]), args[4]
   assert(mode == "once" or mode == "cycle", "mode must be once or cycle")
   assert(deadline, "deadline_us must be a number")
   local path = string.format("%s%d.tsv", prefix, id)
   for line in io.lines(path) do
      local f = split_tabs(line)
      local headers = {}
      for i = 4, #f - 1, 2 do
         headers[f[i]] = f[i + 1]
      end
      local body = f[3] ~= "" and f[3] or nil
      requests[#requests + 1] = wrk.format(f[1], f[2], headers, body)
   end
   assert(#requests > 0, "no requests in " .. path)
end

local function stop()
   stopped_itself = true
   local marker = io.open(string.format("%s.stopped.%d", out_path, id), "w")
   if marker then
      marker:close()
   end
   wrk.thread:stop()
end

function request()
   local now = now_us()
   if now >= deadline or (mode == "once" and index >= #requests) then
      -- Connected after the deadline (wrk reconnects after every response from a server that
      -- closes connections): send nothing (an empty write) and stop.
      ran_out = now < deadline
      stop()
      return ""
   end
   index = mode == "cycle" and index % #requests + 1 or index + 1
   sent_at = now
   sent = sent + 1
   in_flight = true
   return requests[index]
end

function response(status, headers, body)
   local now = now_us()
   in_flight = false
   records[#records + 1] = string.format("%d %d %d", sent_at, now - sent_at, status)
   if now >= deadline or (mode == "once" and index >= #requests) then
      ran_out = now < deadline
      stop()
   end
end

function done(summary)
   local path = threads[1]:get("out_path")
   local out = assert(io.open(path, "w"))
   for _, thread in ipairs(threads) do
      local id = thread:get("id")
      local thread_records = thread:get("records")
      for _, record in ipairs(thread_records) do
         out:write("r ", id, " ", record, "\n")
      end
      out:write(
         string.format(
            "t %d %d %d %d %d %d\n",
            id,
            thread:get("sent"),
            #thread_records,
            thread:get("stopped_itself") and 1 or 0,
            thread:get("ran_out") and 1 or 0,
            thread:get("in_flight") and 1 or 0
         )
      )
   end
   local e = summary.errors
   out:write(string.format("e %d %d %d %d\n", e.connect, e.read, e.write, e.timeout))
   out:close()
end
