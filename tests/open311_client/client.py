"""Drives a meldpunt server with off-the-shelf Open311 client libraries from PyPI.

- georeport (GeoReport v2 wrapper, Python 3; read-only): services, service definitions,
  request lists and single requests, in JSON and in XML.
- three (Code for America's Open311 wrapper; the PyPI client that can POST): posts a
  request with attributes (the answer has its service_request_id and no token: the
  services are realtime), resolves a token answered before POST stopped answering them,
  gets a 404 for an unknown service code, and pages servicerequestupdates with its
  generic GET while a new update arrives between two pages. three 0.8.0 was written for Python 2;
  its only incompatibility on Python 3 is `from itertools import ifilter`, which is
  provided below. Nothing else is patched.

Usage: python3 client.py BASE_URL OLD_TOKEN OLD_ID
  BASE_URL   e.g. http://127.0.0.1:8080/open311/v2
  OLD_TOKEN  a token of the kind POST answered earlier (a report's UUID) and OLD_ID the
             service_request_id it stands for; that report has a status change and a
             public note (the Rust test makes them through the staff API).
Exits non-zero with a message when anything differs.
"""

import datetime
import itertools
import sys

itertools.ifilter = filter  # three 0.8.0 imports this Python 2 name; see the docstring.

from georeport import GeoReport  # noqa: E402
from three import Three  # noqa: E402


def check(condition, message):
    if not condition:
        print("FAILED: " + message, file=sys.stderr)
        sys.exit(1)


def updates_page(client, since, after=None):
    """One page of two service request updates, with three's generic GET."""
    params = {"start_date": since, "page_size": "2"}
    if after is not None:
        params["after"] = after
    data = client.get("servicerequestupdates", **params)
    check(client._request.status_code == 200, "servicerequestupdates answers 200: %r" % (data,))
    return data["service_request_updates"]


def main():
    base = sys.argv[1].rstrip("/")
    old_token, old_id = sys.argv[2], sys.argv[3]
    since = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    json_client = GeoReport(base)
    xml_client = GeoReport(base, output_format="xml")

    services = json_client.get_service_list()
    codes = [s["service_code"] for s in services]
    check("grofvuil" in codes, "georeport lists the services (json): %r" % codes[:5])
    xml_services = xml_client.get_service_list()
    check(sorted(s["service_code"] for s in xml_services) == sorted(codes), "the xml service list matches the json one")
    grofvuil = next(s for s in xml_services if s["service_code"] == "grofvuil")
    check(grofvuil["metadata"] == "true", "grofvuil has metadata (xml): %r" % grofvuil)

    definition = json_client.get_service_definition("grofvuil")
    attributes = {a["code"]: a for a in definition["attributes"]}
    check(attributes["soort"]["datatype"] == "multivaluelist", "soort is a multivaluelist: %r" % attributes)
    keys = [v["key"] for v in attributes["soort"]["values"]]
    check("matras" in keys and "meubels" in keys, "soort offers matras and meubels: %r" % keys)
    xml_definition = xml_client.get_service_definition("grofvuil")
    xml_codes = [a["code"] for a in xml_definition["attributes"]["attribute"]]
    check(xml_codes == list(attributes), "the xml definition lists the same attributes: %r" % xml_codes)

    poster = Three(base + "/", format="json")
    resolved = poster.token(old_token)
    check(resolved[0]["service_request_id"] == old_id, "three resolves an earlier token: %r" % (resolved,))
    unknown = poster.post("bestaat-niet", description="Geen plaats, geen dienst.", address="Akerstraat 12, Heerlen")
    check(poster.post_response.status_code == 404, "an unknown service is a 404: %r" % (unknown,))
    check(unknown[0]["code"] == 404 and unknown[0]["description"].startswith("service_code"), "404 names service_code: %r" % (unknown,))

    # The first page of updates (the earlier report's creation, status change and public
    # note are three); the POST below adds one before the next page is asked for.
    first_page = updates_page(poster, since)
    check(len(first_page) == 2, "the first page has page_size updates: %r" % (first_page,))
    description = "Een matras en een bank naast de container (client test)."
    posted = poster.post(
        "grofvuil",
        lat="50.8882",
        long="5.9795",
        address="Akerstraat 12, Heerlen",
        description=description,
        email="client.test@example.nl",
        media_url="https://example.org/grofvuil.jpg",
        **{
            "attribute[soort][]": ["matras", "meubels"],
            "attribute[gezien_op]": "2026-11-25T08:30:00+01:00",
            "attribute[toelichting]": "Sinds gisteren",
        }
    )
    check(isinstance(posted, list) and posted and "service_request_id" in posted[0], "three posts: %r" % (posted,))
    check(poster.post_response.status_code == 200, "the post answers 200: %r" % (posted,))
    check("token" not in posted[0], "a realtime service answers no token: %r" % (posted,))
    request_id = posted[0]["service_request_id"]

    paged = list(first_page)
    while True:
        page = updates_page(poster, since, after=paged[-1]["update_id"])
        paged.extend(page)
        if len(page) < 2:
            break
    everything = poster.get("servicerequestupdates", start_date=since)["service_request_updates"]
    paged_ids = [u["update_id"] for u in paged]
    check(paged_ids == [u["update_id"] for u in everything], "pages neither skip nor repeat: %r vs %r" % (paged, everything))
    check(len(set(paged_ids)) == len(paged_ids) == 4, "four updates, each once: %r" % (paged,))
    check([int(i) for i in paged_ids] == sorted(int(i) for i in paged_ids), "in the order recorded: %r" % paged_ids)
    seen = [(u["service_request_id"], u["status"], u["external_status_code"], u["description"]) for u in paged]
    expected = [
        (old_id, "open", "new", ""),
        (old_id, "open", "accepted", "We gaan ermee aan de slag."),
        (old_id, "open", "accepted", "De lamp wordt morgen vervangen."),
        (request_id, "open", "new", ""),
    ]
    check(seen == expected, "status change and public note are updates: %r" % (seen,))

    for client, name in ((json_client, "json"), (xml_client, "xml")):
        request = client.get_service_request(request_id)
        check(request["service_request_id"] == request_id, "%s: same id %r" % (name, request))
        check(request["service_code"] == "grofvuil", "%s: same service %r" % (name, request))
        check(request["description"] == description, "%s: same description %r" % (name, request))
        check(request["address"] == "Akerstraat 12, Heerlen", "%s: same address %r" % (name, request))
        check(float(request["lat"]) == 50.8882 and float(request["long"]) == 5.9795, "%s: same place %r" % (name, request))
        check(request["status"] == "open", "%s: open %r" % (name, request))
        check(request["media_url"] == "https://example.org/grofvuil.jpg", "%s: same media_url %r" % (name, request))
        check("client.test" not in repr(request), "%s: no contact details %r" % (name, request))
    listed = json_client.get_service_requests(service_request_id=request_id)
    check([r["service_request_id"] for r in listed] == [request_id], "json list by id: %r" % listed)
    listed = xml_client.get_service_requests(service_code="grofvuil", status="open")
    listed = listed if isinstance(listed, list) else [listed]
    check(request_id in [r["service_request_id"] for r in listed], "xml list by service: %r" % listed)
    print("OK " + request_id)


if __name__ == "__main__":
    main()
