-- wrk script for make bench: every request files a service request through
-- the gateway (POST requests.json with the sample hotline's key), each in
-- one of the sample city's grids by address_id, as the 12345 hotline would
local grids = {"haihong-01", "haihong-02", "haihong-03", "qianpu-01", "qianpu-02",
               "qianpu-03", "lianhua-01", "lianhua-02", "jiahe-01", "jiahe-02"}
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

request = function ()
    n = n + 1
    local body = "api_key=sample-hotline-key&service_code=garbage&address_id=" ..
        grids[n % #grids + 1] .. "&description=bins+overflowing+by+block+" .. n ..
        "&first_name=Wang&phone=13800000000&address_string=Block+" .. n
    return wrk.format(nil, "/open311/v2/requests.json", nil, body)
end

-- One line for run.sh: requests/s, p50 and p99 in microseconds, and what
-- was not a 201
done = function (summary, latency, requests)
    io.write(string.format("rps=%.0f p50_us=%d p99_us=%d p999_us=%d errors=%d\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50),
        latency:percentile(99), latency:percentile(99.9),
        summary.errors.status + summary.errors.connect + summary.errors.read +
        summary.errors.write + summary.errors.timeout))
end
