-- wrk script for the flash raise (bench/flash_raise.py): replays a list of pre-signed
-- requests once each, in order, and stops when every one has been answered. A request's
-- line: key \t nonce \t timestamp \t signature \t path \t body.
-- Usage: wrk -t 1 -c 64 -d 300s --latency -s bench/flash_wrk.lua URL -- FILE
local requests = {}
local index = 0
local answered = 0

function init(args)
  for line in io.lines(args[1]) do
    local key, nonce, stamp, signature, path, body =
      line:match("([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t(.*)")
    requests[#requests + 1] = wrk.format("POST", path, {
      ["Content-Type"] = "application/json",
      ["X-Cunguan-Key"] = key, ["X-Cunguan-Algorithm"] = "HMAC-SHA256",
      ["X-Cunguan-Timestamp"] = stamp, ["X-Cunguan-Nonce"] = nonce,
      ["X-Cunguan-Signature"] = signature}, body)
  end
end

function request()
  index = index + 1
  if index > #requests then
    -- every request is out; a connection that asks again gets /health (counted apart)
    return wrk.format("GET", "/health")
  end
  return requests[index]
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= #requests then
    wrk.thread:stop()
  end
end
