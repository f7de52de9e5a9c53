-- As redirect.lua, each request from a random one of the public addresses in BENCH_IPS
-- (X-Forwarded-For, the server trusting its proxy): every click is located and classified
-- by its network, as on a VPS behind Caddy.
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local ips = {}
for line in io.lines(os.getenv("BENCH_IPS")) do ips[#ips + 1] = line end
math.randomseed(os.time())
local agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
request = function()
  return wrk.format("GET", "/linkedin?uuid=" .. ids[math.random(#ids)], {
    ["Host"] = wrk.host,
    ["User-Agent"] = agent,
    ["Referer"] = "https://mail.google.com/mail/u/0/",
    ["Accept-Language"] = "en-GB,en;q=0.9",
    ["X-Forwarded-For"] = ips[math.random(#ips)],
  })
end
