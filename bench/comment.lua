-- wrk script: posts the comment form of one post, each request with a body of its own
-- (the duplicate check would refuse the same words twice). BENCH_FORM holds the form's other
-- fields, url-encoded; BENCH_PATH the form's action.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local path = os.getenv("BENCH_PATH")
local form = os.getenv("BENCH_FORM")
local run = os.getenv("BENCH_RUN") or "0"
local counter = 0
redirects, ok, other = 0, 0, 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

function request()
  counter = counter + 1
  local body = "Commentaire+de+charge+" .. run .. "-" .. tid .. "-" .. counter ..
    "+%3A+merci+pour+ce+billet%2C+j%27ai+enfin+r%C3%A9ussi+ma+premi%C3%A8re+miche+%21"
  return wrk.format("POST", path, nil, form .. "&body=" .. body)
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
