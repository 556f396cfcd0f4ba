-- bench/ocsp.lua: the wrk script of bench/ocsp.
--
--   wrk ... URL -s ocsp.lua -- get  LIST [EXPECT KEYHASH]
--   wrk ... URL -s ocsp.lua -- post LIST [EXPECT KEYHASH]
--
-- get:  LIST holds one request path per line (/ocsp/<url-encoded base64>).
-- post: LIST holds one file name per line, each a DER OCSPRequest, POSTed
--       to / as application/ocsp-request.
-- The requests are formatted once in init() and sent in turn (each
-- connection takes the next one), so the per-request cost in wrk is one
-- Lua call returning a ready string, the same for every server.
--
-- With EXPECT and KEYHASH (check mode) every response is also checked:
-- HTTP status 200, OCSP responseStatus successful, and the certStatus of
-- the CertID whose issuerKeyHash is KEYHASH (hex) against EXPECT, whose
-- lines are "SERIALHEX good|revoked|either". Check mode makes wrk read
-- every header and body into Lua, so it is slower than plain mode:
-- compare check-mode figures only with check-mode figures.
--
-- done() prints one line for bench/ocsp:
--   RESULT requests=N duration_us=N rps=X p50_us=N p90_us=N p99_us=N
--     p999_us=N max_us=N connect=N read=N write=N timeout=N non2xx=N
--     [checked=N non200=N wrong=N unparsed=N]

-- wrk's default resolve() opens and closes a connection to each address
-- before the run. `openssl ocsp -port` (3.0) then waits forever on that
-- empty connection (openssl/openssl#31129), so look up without probing;
-- bench/ocsp checks that the servers listen before it runs wrk.
wrk.resolve = function(host, service)
   wrk.addrs = wrk.lookup(host, service)
end

local reqs = {}
local nreqs = 0
local nexti = 0
local threads = {}

-- counters of one thread's state (read by done() via thread:get)
checked, non200, wrong, unparsed = 0, 0, 0, 0

local function unhex(h)
   return (h:gsub("%x%x", function(b) return string.char(tonumber(b, 16)) end))
end

local function readfile(name)
   local f = assert(io.open(name, "rb"))
   local s = f:read("*a")
   f:close()
   return s
end

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   local mode, list, expect, keyhash = args[1], args[2], args[3], args[4]
   assert(mode == "get" or mode == "post", "mode must be get or post")
   assert(list, "usage: -- get|post LIST [EXPECT KEYHASH]")
   for line in io.lines(list) do
      if line ~= "" then
         if mode == "get" then
            reqs[#reqs + 1] = wrk.format("GET", line)
         else
            -- wrk.headers holds Host and any -H given to wrk
            local h = {}
            for k, v in pairs(wrk.headers) do h[k] = v end
            h["Content-Type"] = "application/ocsp-request"
            reqs[#reqs + 1] = wrk.format("POST", "/", h, readfile(line))
         end
      end
   end
   nreqs = #reqs
   assert(nreqs > 0, list .. ": no requests")
   if expect then
      local want = {}
      for line in io.lines(expect) do
         local s, st = line:match("^(%x+)%s+(%a+)$")
         if s then want[unhex(s)] = st end
      end
      -- SingleResponse: CertID ... OCTET STRING(20) issuerKeyHash,
      -- INTEGER serial, then certStatus: [0] good (80 00), [1] revoked
      -- (A1 ...), [2] unknown (82 00).
      local anchor = "\4\20" .. unhex(keyhash) .. "\2"
      response = function(status, headers, body)
         checked = checked + 1
         if status ~= 200 then
            non200 = non200 + 1
            return
         end
         -- OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED(0) ...
         -- with a two-octet length (responses are 256..65535 bytes)
         if body:sub(1, 2) ~= "\48\130" or body:sub(5, 7) ~= "\10\1\0" then
            wrong = wrong + 1
            return
         end
         local _, e = body:find(anchor, 8, true)
         if not e then
            unparsed = unparsed + 1
            return
         end
         local len = body:byte(e + 1)
         local serial = body:sub(e + 2, e + 1 + len)
         local tag = body:byte(e + 2 + len)
         local got = tag == 0x80 and "good" or tag == 0xA1 and "revoked"
            or "other"
         local exp = want[serial]
         if exp == nil or (exp ~= "either" and exp ~= got)
            or (exp == "either" and got == "other") then
            wrong = wrong + 1
         end
      end
   end
end

function request()
   nexti = nexti % nreqs + 1
   return reqs[nexti]
end

function done(summary, latency, requests)
   local c, n2, w, u = 0, 0, 0, 0
   for _, t in ipairs(threads) do
      c = c + (t:get("checked") or 0)
      n2 = n2 + (t:get("non200") or 0)
      w = w + (t:get("wrong") or 0)
      u = u + (t:get("unparsed") or 0)
   end
   local e = summary.errors
   local line = string.format(
      "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d " ..
      "p99_us=%d p999_us=%d max_us=%d connect=%d read=%d write=%d " ..
      "timeout=%d non2xx=%d",
      summary.requests, summary.duration,
      summary.requests / summary.duration * 1e6,
      latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.max,
      e.connect, e.read, e.write, e.timeout, e.status)
   if c > 0 then
      line = line .. string.format(
         " checked=%d non200=%d wrong=%d unparsed=%d", c, n2, w, u)
   end
   io.write(line .. "\n")
end
