-- wrk script for bench/settle_load.py: bench/scan_load.lua (same arguments, same output, see there),
-- plus the error code of every non-2xx answer.
--
--   wrk -t N -c N -d <limit> -s bench/settle_load.lua <url> -- <prefix> <once|cycle> <deadline_us> <out>
--
-- A refused settlement answers {"code": "...", "message": "...", "details": {...}} (portal/errors.py);
-- the status alone does not tell a reused scan session from a sold traceability code or a replayed
-- nonce. done() also writes <out>.errors: a line "x <status> <code> <count>" per status and code of
-- non-2xx answers ("-" when the body has no code). The code is read after scan_load.lua's response()
-- has taken the response's time, so it is not in the latency.

local here = string.match(debug.getinfo(1, "S").source, "^@(.*[/\\])") or "./"
dofile(here .. "scan_load.lua")

local scan_setup, scan_response, scan_done = setup, response, done

-- Main state: scan_load.lua keeps its list of threads local, so keep one here too.
local all_threads = {}

function setup(thread)
   scan_setup(thread)
   all_threads[#all_threads + 1] = thread
end

-- Thread state, read by done() with thread:get(): "<status> <code>" -> count.
errors = {}

function response(status, headers, body)
   scan_response(status, headers, body)
   if status < 200 or status > 299 then
      local code = body and string.match(body, '"code"%s*:%s*"([%w_%-]+)"') or "-"
      local key = status .. " " .. code
      errors[key] = (errors[key] or 0) + 1
   end
end

function done(summary, latency, requests)
   scan_done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(all_threads) do
      for key, count in pairs(thread:get("errors")) do
         counts[key] = (counts[key] or 0) + count
      end
   end
   local out = assert(io.open(all_threads[1]:get("out_path") .. ".errors", "w"))
   for key, count in pairs(counts) do
      out:write("x ", key, " ", count, "\n")
   end
   out:close()
end
