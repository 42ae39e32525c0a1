-- wrk script: the institutions' status query (POST with the person code in the body).
-- STATUS_TOKEN and PERSON_CODE come from the environment (see status_load.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("STATUS_TOKEN")
wrk.body = '{"person_code":"' .. os.getenv("PERSON_CODE") .. '","as_of":"2027-06-01"}'

function response(status, headers, body)
   if status ~= 200 then
      io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
   end
end
