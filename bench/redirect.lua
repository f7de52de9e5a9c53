-- Each request: a random one of the ids in bench/ids.txt, as a browser sends it (user agent,
-- language, referrer), so that each click is a human one and takes the full path.
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
math.randomseed(os.time())
wrk.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
wrk.headers["Referer"] = "https://mail.google.com/mail/u/0/"
wrk.headers["Accept-Language"] = "en-GB,en;q=0.9"
request = function()
  return wrk.format("GET", "/linkedin?uuid=" .. ids[math.random(#ids)])
end
