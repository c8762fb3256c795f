-- wrk script for the command benchmark (bench/commands_bench.py): as flash_wrk.lua, replays a
-- list of prepared requests once each, in order, and creates DONE_FILE when every one has been
-- answered; but each line names its own method, headers and body, so one script serves signed
-- JSON commands and the bank page's form posts alike. A request's line:
-- method \t path \t headers \t body, the headers "Name: value" joined by \31 (unit separator).
-- Usage: wrk -t 1 -c 64 -d 600s --latency -s bench/commands_wrk.lua URL -- FILE DONE_FILE
local requests = {}
local index = 0
local answered = 0
local done_file = nil
local checked = false   -- wrk's first ask checks the form and is never sent: a /health
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
    return wrk.format("GET", "/health")   -- the list ran out: an extra, counted apart
  end
  return requests[index]
end

function response(status, headers, body)
  if body == HEALTH_BODY then
    return
  end
  answered = answered + 1
  if answered == #requests then
    io.open(done_file, "w"):close()
    wrk.thread:stop()
  end
end
