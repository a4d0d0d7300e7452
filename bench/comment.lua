-- wrk script: posts the comment form of one post, each request with a form token and a body of
-- its own (one comment is accepted per form, and the same words once per post). BENCH_FORM
-- holds the form's other fields, url-encoded; BENCH_PATH the form's action; BENCH_TOKENS a file
-- of fresh tokens, one a line, shared out among the BENCH_THREADS threads.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local path = os.getenv("BENCH_PATH")
local form = os.getenv("BENCH_FORM")
local run = os.getenv("BENCH_RUN") or "0"
local threads_count = tonumber(os.getenv("BENCH_THREADS") or "1")
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  tokens[#tokens + 1] = line
end
local counter = 0
redirects, ok, other = 0, 0, 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

function request()
  counter = counter + 1
  local body = "Commentaire+de+charge+" .. run .. "-" .. tid .. "-" .. counter ..
    "+%3A+merci+pour+ce+billet%2C+j%27ai+enfin+r%C3%A9ussi+ma+premi%C3%A8re+miche+%21"
  -- Thread tid takes the tokens tid, tid + threads, tid + 2 * threads...
  local token = tokens[((counter - 1) * threads_count + tid - 1) % #tokens + 1]
  return wrk.format("POST", path, nil, form .. "&token=" .. token .. "&body=" .. body)
end

function response(status, headers, body)
  if status >= 300 and status < 400 then
    redirects = redirects + 1
  elseif status >= 200 and status < 300 then
    ok = ok + 1  -- the form shown again: refused, not stored
  else
    other = other + 1
  end
end
