-- wrk script for the replays of bench/wrk_replay.py (the flash raise's, the command
-- benchmark's): replays a list of prepared requests once each, in order; when every one has
-- been answered it stops sending and creates DONE_FILE, on which the caller interrupts wrk
-- (SIGINT: wrk then reports, its duration the time until then). Each line names its own
-- method, headers and body, so one script serves signed JSON commands and the bank page's
-- form posts alike. A request's line:
-- method \t path \t headers \t body, the headers "Name: value" joined by \31 (unit separator).
-- Usage: wrk -t 1 -c 64 -d 600s --latency -s bench/replay_wrk.lua URL -- FILE DONE_FILE
local requests = {}
local index = 0
local answered = 0
local done_file = nil
-- wrk asks each thread for one request before it starts, to check its form, and never sends
-- it: that first ask gets a /health, so that no request of the list is lost.
local checked = false
local HEALTH_BODY = '{"status":"ok"}'

function init(args)
  done_file = args[2]
  for line in io.lines(args[1]) do
    local method, path, header_text, body =
      line:match("([^\t]+)\t([^\t]+)\t([^\t]*)\t(.*)")
    local headers = {}
    for header in header_text:gmatch("[^\31]+") do
      local name, value = header:match("([^:]+): (.*)")
      headers[name] = value
    end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
end

function request()
  if not checked then
    checked = true
    return wrk.format("GET", "/health")
  end
  index = index + 1
  if index > #requests then
    -- every request is out; a connection that asks again gets /health (counted apart)
    return wrk.format("GET", "/health")
  end
  return requests[index]
end

function response(status, headers, body)
  if body == HEALTH_BODY then
    return   -- an extra after the list ran out (or the form check's, were it ever sent)
  end
  answered = answered + 1
  if answered == #requests then
    io.open(done_file, "w"):close()
    wrk.thread:stop()
  end
end
