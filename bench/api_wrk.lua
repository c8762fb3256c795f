-- wrk script for the API benchmark: replays pre-signed requests (each with its own nonce and
-- request no., signed by bench/api_bench.py just before the run) and counts non-2xx answers.
-- Usage: wrk -s bench/api_wrk.lua URL -- FILE   (FILE: key \t nonce \t timestamp \t signature \t body)
local requests = {}
local index = 0

function init(args)
  local thread_no = tonumber(wrk.thread and wrk.thread:get("no") or 0) or 0
  for line in io.lines(args[1]) do
    local key, nonce, stamp, signature, body = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t(.*)")
    requests[#requests + 1] = wrk.format("POST", "/v1/red-packets", {
      ["Content-Type"] = "application/json",
      ["X-Cunguan-Key"] = key, ["X-Cunguan-Algorithm"] = "HMAC-SHA256",
      ["X-Cunguan-Timestamp"] = stamp, ["X-Cunguan-Nonce"] = nonce,
      ["X-Cunguan-Signature"] = signature}, body)
  end
end

function request()
  index = index + 1
  return requests[index]
end
