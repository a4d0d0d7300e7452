-- wrk script: readers taking the pages of BENCH_PATHS (separated by spaces) in turn.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local paths = {}
for path in string.gmatch(os.getenv("BENCH_PATHS"), "%S+") do
  paths[#paths + 1] = path
end
local counter = 0

function request()
  counter = counter + 1
  return wrk.format("GET", paths[counter % #paths + 1])
end
