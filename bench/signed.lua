-- wrk script: replays pre-signed, unique webhook deliveries made by bench/gen_requests.py.
--
--   wrk -t2 -c50 -d15s --latency -s bench/signed.lua http://127.0.0.1:18082/webhooks/tolinku -- FILE
--
-- FILE is the prefix given to gen_requests.py --out; thread N reads FILE.N (gen_requests.py
-- --threads must equal wrk -t), so the threads' ids are disjoint. Each thread streams its file
-- one line per request (no load time, no memory growth); at its end it starts over and counts
-- the repeats, which hookgate answers as duplicates: size the files for the run's duration.
--
-- At the end one machine-readable line is printed:
--   RESULT requests=... rps=... p50_us=... p90_us=... p99_us=... p999_us=... max_us=...
--          non2xx=... err_connect=... err_read=... err_write=... err_timeout=... sent=... repeats=...

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   local base = args[1]
   if base == nil then
      error("signed.lua: pass the request file prefix after --, e.g. -- /tmp/req")
   end
   local name = base .. "." .. tid
   f = io.open(name, "r")
   if f == nil then
      error("signed.lua: cannot open " .. name .. " (gen_requests.py --threads must match wrk -t)")
   end
   sent = 0
   repeats = 0
   wrapped = false
end

local find, sub = string.find, string.sub

function request()
   local line = f:read("*l")
   if line == nil then
      f:seek("set", 0)
      wrapped = true
      line = f:read("*l")
   end
   sent = sent + 1
   if wrapped then
      repeats = repeats + 1
   end
   local headers = { ["Content-Type"] = "application/json" }
   local pos = 1
   local body
   while true do
      local tab = find(line, "\t", pos, true)
      if tab == nil then
         body = sub(line, pos)
         break
      end
      local colon = find(line, ": ", pos, true)
      headers[sub(line, pos, colon - 1)] = sub(line, colon + 2, tab - 1)
      pos = tab + 1
   end
   return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
   local total_sent, total_repeats = 0, 0
   for _, t in ipairs(threads) do
      total_sent = total_sent + (t:get("sent") or 0)
      total_repeats = total_repeats + (t:get("repeats") or 0)
   end
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      "RESULT requests=%d duration_s=%.3f rps=%.1f mean_us=%.1f p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d " ..
      "non2xx=%d err_connect=%d err_read=%d err_write=%d err_timeout=%d sent=%d repeats=%d\n",
      summary.requests, secs, summary.requests / secs, latency.mean,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
      latency.max, e.status, e.connect, e.read, e.write, e.timeout, total_sent, total_repeats))
end
