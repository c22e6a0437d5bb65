-- wrk script: files realistic citizen reports with POST /api/v1/reports.
--
-- Every request is a new, valid report for Heerlen: a varied category (with the answers
-- the category requires), description, location in one of Heerlen's neighbourhoods,
-- usually an address, and reporter contact details in about a third of the requests.
-- Every request carries a unique Idempotency-Key, as the mobile app sends one.
--
-- Usage (benches/intake.sh runs it):
--   wrk -t2 -c64 -d15s --latency --timeout 30s -s benches/intake.lua http://127.0.0.1:8080 -- RUN_ID
-- RUN_ID (optional) goes into every Idempotency-Key, so that keys stay unique when several
-- runs write to the same database.
--
-- done() prints one machine-readable line, for example:
--   MELDPUNT_BENCH requests=1234 created=1234 non2xx=0 ... rps=82.2 p50_ms=12.34 p99_ms=56.78 ...
-- Latencies are in milliseconds, rates per second. Fields:
--   requests      responses received (wrk's count)
--   created       responses with status 201
--   other2xx      other 2xx responses (200 would be a replayed key: not expected here)
--   non2xx        responses with a status outside 200-299
--   statuses      non-2xx responses by status, e.g. 503:12,500:1 (- when none)
--   socket_errors connect + read + write + timeout errors (as wrk counts them)
--   sent          requests wrk sent (the difference to requests was still in flight when
--                 wrk stopped; the server may have stored those reports)
--   rps           responses per second; reports_per_s: 201 responses per second
--   p50/p90/p99/max_ms  latency of the received responses
--   first_error   the start of the first non-2xx body, URL-escaped (- when none)

-- Runs in wrk's main Lua state -------------------------------------------------------------

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_no", #threads)
end

-- Runs in each thread's own Lua state ------------------------------------------------------

local categories = {
   -- slug, weight, answers(): JSON text of the answers object or nil
   { "straatverlichting-openbare-klok", 14, function()
        local problems = { "uit", "knippert", "overdag-aan", "beschadigd" }
        local answers = '"probleem":"' .. problems[math.random(#problems)] .. '"'
        if math.random() < 0.3 then
           answers = answers .. ',"aantal_lampen":' .. math.random(1, 4)
        end
        if math.random() < 0.2 then
           answers = answers .. ',"lichtmastnummer":"HRL-' .. math.random(1000, 9999) .. '"'
        end
        return "{" .. answers .. "}"
     end },
   { "veeg-zwerfvuil", 14, nil },
   { "prullenbak-is-vol", 12, nil },
   { "onderhoud-stoep-straat-en-fietspad", 12, nil },
   { "grofvuil", 12, function()
        local kinds = { "meubels", "matras", "apparaten", "tuinafval", "anders" }
        local first = math.random(#kinds)
        local chosen = '"' .. kinds[first] .. '"'
        if math.random() < 0.35 then
           chosen = chosen .. ',"' .. kinds[first % #kinds + 1] .. '"'
        end
        return '{"soort":[' .. chosen .. ']}'
     end },
   { "hondenpoep", 10, nil },
   { "graffiti-wildplak", 10, nil },
   { "boom", 8, function() return '{"gevaar":"nee"}' end },
   { "onkruid", 8, nil },
}

local descriptions = {
   ["straatverlichting-openbare-klok"] = {
      "De lantaarnpaal is uit", "De straatlamp knippert de hele avond",
      "Lamp brandt ook overdag", "Lichtmast is scheef gereden en beschadigd",
      "Het is hier 's avonds erg donker, de lamp doet het niet meer",
   },
   ["veeg-zwerfvuil"] = {
      "Veel zwerfvuil langs de stoep", "Blikjes en plastic in de berm",
      "Na de markt ligt er nog veel afval op straat", "Glasscherven op het fietspad",
   },
   ["prullenbak-is-vol"] = {
      "De prullenbak puilt uit", "Afvalbak bij de bushalte is al dagen vol",
      "Prullenbak in het park is vol, afval waait weg",
   },
   ["onderhoud-stoep-straat-en-fietspad"] = {
      "Losliggende stoeptegels, gevaarlijk voor ouderen", "Diep gat in het wegdek",
      "Boomwortels drukken het fietspad omhoog", "Verzakte klinkers bij de oversteekplaats",
   },
   ["grofvuil"] = {
      "Er staat een oude bank op de stoep", "Matras gedumpt naast de container",
      "Iemand heeft een koelkast bij de glasbak gezet", "Stapel tuinafval en oude planken",
   },
   ["hondenpoep"] = {
      "Veel hondenpoep op het grasveld bij de speeltuin", "Hondenpoep op de stoep voor de school",
   },
   ["graffiti-wildplak"] = {
      "Graffiti op de muur van het transformatorhuisje", "Posters wild geplakt op de elektriciteitskast",
      "Bekladde verkeersborden",
   },
   ["boom"] = {
      "Grote tak hangt laag boven het fietspad", "Boom lijkt ziek, veel dode takken",
      "Boomwortels duwen het hek omver",
   },
   ["onkruid"] = {
      "Onkruid tussen de stoeptegels is kniehoog", "Het plantvak is overwoekerd met onkruid",
   },
}

local details = {
   "", "", "", " Graag snel oplossen.", " Dit is al meer dan een week zo.",
   " Vooral 's avonds lastig.", " Kinderen spelen hier vaak.", " Ik heb het eerder gemeld.",
   " Bij het tweede huis vanaf de hoek.", " Tegenover de bakker.",
}

local streets = {
   "Akerstraat", "Promenade", "Saroleastraat", "Geleenstraat", "Willemstraat", "Stationstraat",
   "Kruisstraat", "Schandelerboord", "Heerlerbaan", "Molenberglaan", "Valkenburgerweg",
   "Heesbergstraat", "Kampstraat", "Welterlaan", "Meezenbroekerweg", "Hoensbroekerweg",
}

-- Where reports are filed: one interior point per buurt (neighbourhood) of Heerlen, with the
-- radius in metres of a disc around it that stays inside that buurt and inside Heerlen, by
-- the CBS 2025 polygons in data/seed (heerlen-buurten.geojson, nl-gemeenten.geojson), and
-- inside the box lat 50.82-50.93, lon 5.90-6.02. A uniform point in the whole box would not
-- do: a good part of the box is Landgraaf, Voerendaal, Simpelveld and other neighbours,
-- which the server refuses (422 outside-service-area).
local buurten = {
   { 50.88631, 5.97163, 103 }, -- 't Loon
   { 50.87871, 5.97663, 118 }, -- Aarveld
   { 50.90772, 5.95840, 234 }, -- Beersdal
   { 50.87985, 5.98368, 169 }, -- Bekkerveld
   { 50.86020, 5.97463, 193 }, -- Benzenrade
   { 50.89934, 5.98143, 124 }, -- Burettestraat en omgeving
   { 50.87732, 5.99278, 145 }, -- Caumerveld
   { 50.84900, 5.99789, 250 }, -- De Beitel
   { 50.92512, 5.93621, 250 }, -- De Dem en omgeving
   { 50.90789, 5.93947, 250 }, -- De Koumen
   { 50.87315, 5.98355, 233 }, -- Douve Weien
   { 50.88710, 5.99788, 157 }, -- Dr Nolensplein en omgeving
   { 50.88300, 6.00213, 131 }, -- Dr Schaepmanplein en omgeving
   { 50.87290, 6.01025, 152 }, -- Egstraat en omgeving
   { 50.88911, 5.96780, 139 }, -- Eikenderveld
   { 50.87232, 5.99980, 190 }, -- Giesenveld
   { 50.89727, 5.97513, 145 }, -- Grasbroek
   { 50.88789, 5.97720, 145 }, -- Heerlen-Centrum
   { 50.86733, 6.00636, 215 }, -- Heerlerbaan-Oost
   { 50.86750, 5.99175, 250 }, -- Heerlerbaan-West
   { 50.91762, 5.95740, 192 }, -- Heerlerheide-Kom
   { 50.91613, 5.96978, 229 }, -- Heksenberg
   { 50.92210, 5.92638, 193 }, -- Hoensbroek-Centrum
   { 50.89270, 5.97560, 136 }, -- Hoppersgraaf
   { 50.90298, 5.95590,  87 }, -- Husken
   { 50.85809, 5.98795, 250 }, -- Imstenrade
   { 50.89392, 5.95805, 110 }, -- In de Cramer
   { 50.88254, 5.97525, 138 }, -- Lindeveld
   { 50.92325, 5.91477, 250 }, -- Maria Gewanden
   { 50.92900, 5.92175,  48 }, -- Mariarade-Noord
   { 50.92881, 5.92700, 108 }, -- Mariarade-Zuid
   { 50.89863, 5.98902, 180 }, -- Meezenbroek
   { 50.88368, 5.99049, 190 }, -- Molenbergpark
   { 50.90053, 5.96831, 121 }, -- Musschemig
   { 50.91457, 5.91840, 250 }, -- Nieuw Lotbroek-Noord
   { 50.90972, 5.92825, 174 }, -- Nieuw Lotbroek-Zuid
   { 50.92413, 5.95983, 216 }, -- Nieuw-Einde
   { 50.88454, 5.98200, 144 }, -- Op de Nobel
   { 50.90380, 5.98895, 157 }, -- Palemig
   { 50.92350, 5.94908, 224 }, -- Passart
   { 50.91257, 5.96330,  93 }, -- Pronsebroek
   { 50.91281, 5.95088, 182 }, -- Rennemig
   { 50.89310, 5.99225, 197 }, -- Schaesbergerveld
   { 50.89175, 5.98148, 104 }, -- Schandelen
   { 50.90900, 5.96948, 170 }, -- Schelsberg
   { 50.87834, 6.00025, 163 }, -- Schiffelerveld
   { 50.91955, 5.98900, 250 }, -- Schrieversheide
   { 50.89751, 5.94180, 250 }, -- Ten Esschen
   { 50.91789, 5.90905, 129 }, -- Terschuren
   { 50.88629, 5.95422, 250 }, -- Terworm
   { 50.92705, 5.97031, 202 }, -- Uterweg
   { 50.92163, 5.97384, 106 }, -- Versiliënbosch
   { 50.92154, 5.96750, 140 }, -- Vrieheide
   { 50.92867, 5.95287, 107 }, -- Weggebekker
   { 50.87680, 5.96496, 250 }, -- Welten-Dorp
   { 50.89725, 5.96311, 179 }, -- Zeswegen
   { 50.86767, 5.97150, 250 }, -- Ziekenhuis
}

-- A uniformly random point in the disc of a random buurt.
local function location()
   local buurt = buurten[math.random(#buurten)]
   local angle = 2 * math.pi * math.random()
   local metres = buurt[3] * math.sqrt(math.random())
   local lat = buurt[1] + metres * math.sin(angle) / 110540
   local lon = buurt[2] + metres * math.cos(angle) / (111320 * math.cos(math.rad(buurt[1])))
   return lat, lon
end

local first_names = { "Anna", "Jan", "Fatima", "Luc", "Marieke", "Ahmed", "Sophie", "Noah", "Ilse", "Tom" }
local mail_domains = { "example.nl", "example.com", "example.org" }

local total_weight = 0
for _, category in ipairs(categories) do total_weight = total_weight + category[2] end

local function pick_category()
   local n = math.random() * total_weight
   for _, category in ipairs(categories) do
      n = n - category[2]
      if n <= 0 then return category end
   end
   return categories[#categories]
end

local function pick(list) return list[math.random(#list)] end

-- Only ASCII, digits, spaces and plain letters go into the strings above and below,
-- except the apostrophe, which is valid JSON as is; no escaping is needed.
local function reporter_json()
   local name = pick(first_names)
   local email = string.lower(name) .. "." .. math.random(1, 99999) .. "@" .. pick(mail_domains)
   local phone = string.format("+31 45 %03d %04d", math.random(0, 999), math.random(0, 9999))
   local r = math.random()
   local fields
   if r < 0.6 then
      fields = '"email":"' .. email .. '"'
   elseif r < 0.8 then
      fields = '"phone":"' .. phone .. '"'
   else
      fields = '"email":"' .. email .. '","phone":"' .. phone .. '","name":"' .. name .. '"'
   end
   if math.random() < 0.5 then
      fields = fields .. ',"consent_to_contact":true'
   end
   return "{" .. fields .. "}"
end

local function body_json()
   local category = pick_category()
   local slug, answers = category[1], category[3]
   local description = pick(descriptions[slug]) .. pick(details)
   local lat, lon = location()
   local parts = {
      '{"category":"', slug, '","description":"', description, '",',
      string.format('"location":{"lat":%.6f,"lon":%.6f}', lat, lon),
   }
   if math.random() < 0.8 then
      parts[#parts + 1] = ',"address":"' .. pick(streets) .. " " .. math.random(1, 180) .. ', Heerlen"'
   end
   if answers then
      parts[#parts + 1] = ',"answers":' .. answers()
   end
   if math.random() < 1 / 3 then
      parts[#parts + 1] = ',"reporter":' .. reporter_json()
   end
   parts[#parts + 1] = "}"
   return table.concat(parts)
end

-- Per-thread counters (globals of this thread's Lua state, read by done() via thread:get).
sent, created, other2xx, non2xx = 0, 0, 0, 0
statuses, first_error = "", "-"
local by_status = {}
local key_prefix

function init(args)
   local run_id = args[1] or string.format("%x", os.time())
   key_prefix = "bench-" .. run_id .. "-t" .. thread_no .. "-"
   math.randomseed(os.time() * 1000 + thread_no * 7919)
   for _ = 1, 10 do math.random() end
end

local headers = { ["Content-Type"] = "application/json" }

function request()
   sent = sent + 1
   headers["Idempotency-Key"] = key_prefix .. sent
   return wrk.format("POST", "/api/v1/reports", headers, body_json())
end

function response(status, _, body)
   if status == 201 then
      created = created + 1
   elseif status >= 200 and status < 300 then
      other2xx = other2xx + 1
   else
      non2xx = non2xx + 1
      by_status[status] = (by_status[status] or 0) + 1
      local list = {}
      for code, count in pairs(by_status) do list[#list + 1] = code .. ":" .. count end
      statuses = table.concat(list, ",")
      if first_error == "-" then
         first_error = status .. ":" .. string.gsub(string.sub(body or "", 1, 300), "[^%w%-_.:/]",
            function(c) return string.format("%%%02X", string.byte(c)) end)
      end
   end
end

-- Back in wrk's main Lua state -------------------------------------------------------------

function done(summary, latency, _)
   local totals = { sent = 0, created = 0, other2xx = 0, non2xx = 0 }
   local by_code, error_sample = {}, "-"
   for _, thread in ipairs(threads) do
      for field in pairs(totals) do
         totals[field] = totals[field] + (thread:get(field) or 0)
      end
      for code, count in string.gmatch(thread:get("statuses") or "", "(%d+):(%d+)") do
         by_code[code] = (by_code[code] or 0) + tonumber(count)
      end
      if error_sample == "-" then error_sample = thread:get("first_error") or "-" end
   end
   -- wrk 4 calls request() once on the first thread to check the script, and never sends
   -- that request; it is not in flight.
   totals.sent = math.max(totals.sent - 1, summary.requests)
   local codes = {}
   for code, count in pairs(by_code) do codes[#codes + 1] = code .. ":" .. count end
   table.sort(codes)
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "MELDPUNT_BENCH requests=%d created=%d other2xx=%d non2xx=%d statuses=%s " ..
      "socket_errors=%d connect=%d read=%d write=%d timeout=%d sent=%d seconds=%.2f " ..
      "rps=%.1f reports_per_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f first_error=%s\n",
      summary.requests, totals.created, totals.other2xx, totals.non2xx,
      #codes > 0 and table.concat(codes, ",") or "-",
      e.connect + e.read + e.write + e.timeout, e.connect, e.read, e.write, e.timeout,
      totals.sent, seconds, summary.requests / seconds, totals.created / seconds,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, error_sample))
end
