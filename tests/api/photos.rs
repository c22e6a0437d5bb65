//! Photos with reports: only the reporter may add them, their type is sniffed, they are
//! served upright and without any metadata, and never for non-public categories.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, expect_problem, spawn_app_with, street_light_report};

/// A test server whose local photo folder is a temp folder the test can look into.
pub struct PhotoApp {
    pub app: TestApp,
    pub dir: tempfile::TempDir,
}

pub async fn spawn_photo_app(backend: Backend, max_count: usize) -> PhotoApp {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().display().to_string();
    let app = spawn_app_with(backend, |s| {
        s.photo_dir = folder;
        s.photo_max_count = max_count;
        s.photo_max_bytes = 256 * 1024;
    })
    .await;
    PhotoApp { app, dir }
}

/// Runs a body once on SQLite and once on PostgreSQL with a [`PhotoApp`].
#[macro_export]
macro_rules! with_photos_on_both_backends {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                async fn body($app: $crate::photos::PhotoApp) $body
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() {
                    body($crate::photos::spawn_photo_app($crate::helpers::Backend::Sqlite, 3).await).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    body($crate::photos::spawn_photo_app($crate::helpers::Backend::Postgres, 3).await).await
                }
            }
        )*
    };
}

/// A TIFF IFD entry: tag, type, count, value bytes (little-endian).
type Entry = (u16, u16, u32, Vec<u8>);

const ASCII: u16 = 2;
const SHORT: u16 = 3;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;
const BYTE: u16 = 1;
const UNDEFINED: u16 = 7;

fn ascii(text: &str) -> (u16, u32, Vec<u8>) {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    (ASCII, bytes.len() as u32, bytes)
}

fn rationals(values: &[(u32, u32)]) -> (u16, u32, Vec<u8>) {
    let bytes = values.iter().flat_map(|(n, d)| n.to_le_bytes().into_iter().chain(d.to_le_bytes())).collect();
    (RATIONAL, values.len() as u32, bytes)
}

fn entry(tag: u16, (kind, count, bytes): (u16, u32, Vec<u8>)) -> Entry {
    (tag, kind, count, bytes)
}

fn ifd_size(entries: &[Entry]) -> u32 {
    let data: u32 = entries.iter().filter(|e| e.3.len() > 4).map(|e| (e.3.len() as u32 + 1) & !1).sum();
    2 + 12 * entries.len() as u32 + 4 + data
}

fn write_ifd(out: &mut Vec<u8>, entries: &[Entry], start: u32) {
    let mut data_offset = start + 2 + 12 * entries.len() as u32 + 4;
    let mut data = Vec::new();
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, count, bytes) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        if bytes.len() <= 4 {
            let mut inline = bytes.clone();
            inline.resize(4, 0);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&data_offset.to_le_bytes());
            data.extend_from_slice(bytes);
            if bytes.len() % 2 == 1 {
                data.push(0);
            }
            data_offset += (bytes.len() as u32 + 1) & !1;
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&data);
}

const MAKE: &str = "Apple";
const MODEL: &str = "iPhone 15 Pro";
const SERIAL: &str = "SN-C02XK1ZYJGH5";
const MAKER_NOTE: &str = "MAKERNOTE-SECRET-0042";
const XMP_MARK: &str = "GPSLatitude>50,53.2N<";

/// The EXIF block of a phone photo: make, model, serial, maker note, orientation and GPS.
fn phone_exif(orientation: u16) -> Vec<u8> {
    let gps = vec![
        entry(0x0000, (BYTE, 4, vec![2, 3, 0, 0])),
        entry(0x0001, ascii("N")),
        entry(0x0002, rationals(&[(50, 1), (53, 1), (1923, 100)])),
        entry(0x0003, ascii("E")),
        entry(0x0004, rationals(&[(5, 1), (58, 1), (4620, 100)])),
    ];
    let exif = vec![
        entry(0x927C, (UNDEFINED, MAKER_NOTE.len() as u32, MAKER_NOTE.as_bytes().to_vec())),
        entry(0xA431, ascii(SERIAL)),
    ];
    let mut ifd0 = vec![
        entry(0x010F, ascii(MAKE)),
        entry(0x0110, ascii(MODEL)),
        entry(0x0112, (SHORT, 1, orientation.to_le_bytes().to_vec())),
        entry(0x8769, (LONG, 1, vec![0; 4])),
        entry(0x8825, (LONG, 1, vec![0; 4])),
    ];
    let exif_start = 8 + ifd_size(&ifd0);
    let gps_start = exif_start + ifd_size(&exif);
    ifd0[3].3 = exif_start.to_le_bytes().to_vec();
    ifd0[4].3 = gps_start.to_le_bytes().to_vec();
    let mut tiff = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    write_ifd(&mut tiff, &ifd0, 8);
    write_ifd(&mut tiff, &exif, exif_start);
    write_ifd(&mut tiff, &gps, gps_start);
    tiff
}

fn app1(payload: &[u8]) -> Vec<u8> {
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(payload);
    segment
}

/// A 64×32 JPEG, red on the left and blue on the right, as a phone stores a photo taken
/// in portrait: EXIF orientation 6 (turn 90° clockwise to view), GPS, make, model, serial,
/// a maker note and an XMP packet with the position again.
pub fn phone_jpeg() -> Vec<u8> {
    let pixels = RgbImage::from_fn(64, 32, |x, _| if x < 32 { Rgb([220, 20, 20]) } else { Rgb([20, 20, 220]) });
    let mut plain = Vec::new();
    DynamicImage::ImageRgb8(pixels).write_to(&mut Cursor::new(&mut plain), ImageFormat::Jpeg).unwrap();
    let mut exif_payload = b"Exif\0\0".to_vec();
    exif_payload.extend(phone_exif(6));
    let xmp = format!(
        "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><exif:{XMP_MARK}/exif:GPSLatitude></x:xmpmeta>"
    );
    let mut jpeg = plain[..2].to_vec();
    jpeg.extend(app1(&exif_payload));
    jpeg.extend(app1(xmp.as_bytes()));
    jpeg.extend_from_slice(&plain[2..]);
    jpeg
}

pub fn png_bytes(width: u32, height: u32) -> Vec<u8> {
    let mut png = Vec::new();
    DynamicImage::new_rgb8(width, height).write_to(&mut Cursor::new(&mut png), ImageFormat::Png).unwrap();
    png
}

/// A multipart body with one `photo` part per file; the declared name and type are lies
/// on purpose, to show they do not matter.
pub fn multipart(files: &[Vec<u8>]) -> (String, Vec<u8>) {
    let boundary = "meldpunt-test-boundary-7d1f";
    let mut body = Vec::new();
    for file in files {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"holiday.gif\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Files a report with photos in one multipart request.
pub async fn file_with_photos(app: &TestApp, report: &Value, files: &[Vec<u8>]) -> reqwest::Response {
    let boundary = "meldpunt-test-boundary-7d1f";
    let (content_type, photos) = multipart(files);
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"report\"\r\nContent-Type: application/json\r\n\r\n{report}\r\n"
    )
    .into_bytes();
    body.extend(photos);
    app.client.post(app.url("/api/v1/reports")).header("Content-Type", content_type).body(body).send().await.unwrap()
}

/// Files a report and returns its intake answer, with the photo upload headers added to it
/// as `photo_upload: {token, expires, url}` for the tests' convenience.
pub async fn file(app: &TestApp, body: &Value) -> Value {
    let response = app.post_report(body, None).await;
    assert_eq!(response.status(), 201);
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let token = header("Photo-Upload-Token");
    let expires = header("Photo-Upload-Expires");
    let mut created: Value = response.json().await.unwrap();
    let url = format!("/api/v1/reports/{}/photos", created["id"].as_str().unwrap());
    created["photo_upload"] = json!({"token": token, "expires_at": expires, "url": url});
    created
}

/// Uploads `files` to the report of `created` with its token (or `token` if given).
pub async fn upload(app: &TestApp, created: &Value, files: &[Vec<u8>], token: Option<&str>) -> reqwest::Response {
    let (content_type, body) = multipart(files);
    let mut request = app
        .client
        .post(app.url(created["photo_upload"]["url"].as_str().unwrap()))
        .header("Content-Type", content_type)
        .body(body);
    let token = token.or(created["photo_upload"]["token"].as_str());
    if let Some(token) = token {
        request = request.header("Photo-Upload-Token", token);
    }
    request.send().await.unwrap()
}

fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(files_in(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// Makes the database refuse every new photo row (a simulated fault behind the API).
pub async fn refuse_photo_rows(url: &str) {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        if url.starts_with("postgres") {
            let mut conn = diesel::pg::PgConnection::establish(&url).unwrap();
            conn.batch_execute(
                "CREATE FUNCTION refuse_photo() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION 'simulated fault'; END $$; \
                 CREATE TRIGGER refuse_photo BEFORE INSERT ON report_photos \
                 FOR EACH ROW EXECUTE FUNCTION refuse_photo();",
            )
            .unwrap();
        } else {
            let mut conn = diesel::sqlite::SqliteConnection::establish(url.trim_start_matches("sqlite://")).unwrap();
            conn.batch_execute(
                "CREATE TRIGGER refuse_photo BEFORE INSERT ON report_photos \
                 BEGIN SELECT RAISE(ABORT, 'simulated fault'); END;",
            )
            .unwrap();
        }
    })
    .await
    .unwrap();
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Checks that `bytes` carry no metadata from [`phone_jpeg`] at all.
pub fn assert_no_metadata(bytes: &[u8]) {
    assert!(exif::Reader::new().read_from_container(&mut Cursor::new(bytes)).is_err(), "EXIF survived");
    assert!(!contains(bytes, b"Exif\0\0"), "an EXIF block survived");
    assert!(!contains(bytes, &[0xFF, 0xE1]) || !contains(bytes, b"http://ns.adobe.com"), "XMP survived");
    for secret in [MAKE, MODEL, SERIAL, MAKER_NOTE, XMP_MARK, "xmpmeta"] {
        assert!(!contains(bytes, secret.as_bytes()), "'{secret}' survived");
    }
}

with_photos_on_both_backends! {
    async fn a_phone_photo_with_gps_is_served_upright_and_without_any_metadata(photo_app) {
        let app = &photo_app.app;
        let original = phone_jpeg();
        // The test file really carries what a phone writes.
        let exif = exif::Reader::new().read_from_container(&mut Cursor::new(&original)).unwrap();
        assert!(exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY).is_some());
        assert!(exif.get_field(exif::Tag::BodySerialNumber, exif::In::PRIMARY).is_some());
        assert_eq!(exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY).unwrap().value.get_uint(0), Some(6));

        let created = file(app, &street_light_report()).await;
        assert!(created["photo_upload"]["expires_at"].as_str().is_some(), "{created}");
        let response = upload(app, &created, &[original], None).await;
        assert_eq!(response.status(), 201);
        let added: Value = response.json().await.unwrap();
        let photo = &added["photos"][0];
        assert_eq!((photo["width"].as_u64(), photo["height"].as_u64()), (Some(32), Some(64)), "{added}");

        let served = app.get(photo["url"].as_str().unwrap()).await;
        assert_eq!(served.status(), 200);
        assert_eq!(served.headers()["content-type"], "image/jpeg");
        let etag = served.headers()["etag"].to_str().unwrap().to_owned();
        let bytes = served.bytes().await.unwrap();
        assert_no_metadata(&bytes);
        let upright = image::load_from_memory(&bytes).unwrap().to_rgb8();
        assert_eq!(upright.dimensions(), (32, 64), "orientation 6 turns the landscape pixels to portrait");
        let top = upright.get_pixel(16, 8);
        let bottom = upright.get_pixel(16, 56);
        assert!(top[0] > 150 && top[2] < 100, "the left (red) half is on top after turning clockwise: {top:?}");
        assert!(bottom[2] > 150 && bottom[0] < 100, "the right (blue) half is at the bottom: {bottom:?}");

        let thumbnail = app.get(photo["thumbnail_url"].as_str().unwrap()).await;
        assert_eq!(thumbnail.status(), 200);
        assert_no_metadata(&thumbnail.bytes().await.unwrap());

        let again = app.client.get(app.url(photo["url"].as_str().unwrap())).header("If-None-Match", &etag).send().await.unwrap();
        assert_eq!(again.status(), 304);

        let public: Value = app.get(&format!("/api/v1/reports/{}", created["id"].as_str().unwrap())).await.json().await.unwrap();
        assert_eq!(public["photos"][0]["url"], photo["url"]);
        let public_response = app.get(&format!("/api/v1/reports/{}", created["id"].as_str().unwrap())).await;
        assert!(public_response.headers().get("Photo-Upload-Token").is_none(), "the token is for the reporter only");
    }

    async fn only_the_reporter_with_the_token_can_add_photos(photo_app) {
        let app = &photo_app.app;
        let created = file(app, &street_light_report()).await;
        let other = file(app, &street_light_report()).await;
        let (content_type, body) = multipart(&[png_bytes(8, 8)]);
        let anonymous = app.client.post(app.url(created["photo_upload"]["url"].as_str().unwrap()))
            .header("Content-Type", content_type).body(body).send().await.unwrap();
        expect_problem(anonymous, 401).await;
        let borrowed = upload(app, &created, &[png_bytes(8, 8)], other["photo_upload"]["token"].as_str()).await;
        expect_problem(borrowed, 403).await;
        let forged = upload(app, &created, &[png_bytes(8, 8)], Some("99999999999.00ff")).await;
        expect_problem(forged, 403).await;
        assert!(files_in(photo_app.dir.path()).is_empty());
    }

    async fn content_that_is_not_an_accepted_image_is_refused_whatever_its_name_says(photo_app) {
        let app = &photo_app.app;
        let created = file(app, &street_light_report()).await;
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
        let problem = expect_problem(upload(app, &created, &[gif], None).await, 415).await;
        assert!(problem["detail"].as_str().unwrap().contains("image/jpeg"), "{problem}");
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
        let problem = expect_problem(upload(app, &created, &[heic], None).await, 415).await;
        assert!(problem["detail"].as_str().unwrap().contains("HEIC"), "{problem}");
        let broken = phone_jpeg()[..300].to_vec();
        expect_problem(upload(app, &created, &[png_bytes(4, 4), broken], None).await, 422).await;
        let public: Value = app.get(&format!("/api/v1/reports/{}", created["id"].as_str().unwrap())).await.json().await.unwrap();
        assert_eq!(public["photos"], json!([]), "all or nothing: the good photo was not kept either");
        assert!(files_in(photo_app.dir.path()).is_empty(), "{:?}", files_in(photo_app.dir.path()));
    }

    async fn a_report_takes_at_most_the_configured_number_and_size_of_photos(photo_app) {
        let app = &photo_app.app;
        let created = file(app, &street_light_report()).await;
        assert_eq!(upload(app, &created, &[png_bytes(8, 8), png_bytes(9, 9)], None).await.status(), 201);
        expect_problem(upload(app, &created, &[png_bytes(8, 8), png_bytes(9, 9)], None).await, 409).await;
        let noise: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        expect_problem(upload(app, &created, &[noise], None).await, 413).await;
        assert_eq!(upload(app, &created, &[png_bytes(10, 10)], None).await.status(), 201);
        let public: Value = app.get(&format!("/api/v1/reports/{}", created["id"].as_str().unwrap())).await.json().await.unwrap();
        assert_eq!(public["photos"].as_array().unwrap().len(), 3);
        assert_eq!(files_in(photo_app.dir.path()).len(), 6, "three photos and three thumbnails");
    }

    async fn photos_of_reports_in_non_public_categories_are_never_served_publicly(photo_app) {
        let app = &photo_app.app;
        let body = json!({
            "category": "drank-en-drugsoverlast",
            "description": "Er wordt gedeald bij het portiek.",
            "location": {"lat": 50.8882, "lon": 5.9795}
        });
        let created = file(app, &body).await;
        let response = upload(app, &created, &[phone_jpeg()], None).await;
        assert_eq!(response.status(), 201);
        let added: Value = response.json().await.unwrap();
        expect_problem(app.get(added["photos"][0]["url"].as_str().unwrap()).await, 404).await;
        expect_problem(app.get(added["photos"][0]["thumbnail_url"].as_str().unwrap()).await, 404).await;
        let public: Value = app.get(&format!("/api/v1/reports/{}", created["id"].as_str().unwrap())).await.json().await.unwrap();
        assert_eq!(public["photos"], json!([]));
    }

    async fn a_report_filed_together_with_a_phone_photo_serves_it_without_metadata(photo_app) {
        let app = &photo_app.app;
        let response = file_with_photos(app, &street_light_report(), &[phone_jpeg()]).await;
        assert_eq!(response.status(), 201);
        assert!(response.headers().get("Photo-Upload-Token").is_some());
        let created: Value = response.json().await.unwrap();
        assert_eq!(created["photos"].as_array().unwrap().len(), 1, "{created}");
        let served = app.get(created["photos"][0]["url"].as_str().unwrap()).await;
        assert_eq!(served.status(), 200);
        let bytes = served.bytes().await.unwrap();
        assert_no_metadata(&bytes);
        assert_eq!(image::load_from_memory(&bytes).unwrap().to_rgb8().dimensions(), (32, 64));
        let public: Value = app.get(&format!("/api/v1/reports/{}", created["id"].as_str().unwrap())).await.json().await.unwrap();
        assert_eq!(public["photos"], created["photos"]);
    }

    async fn open311_media_url_points_at_the_served_photo_without_metadata(photo_app) {
        let app = &photo_app.app;
        let created: Value = file_with_photos(app, &street_light_report(), &[phone_jpeg()]).await.json().await.unwrap();
        let photo_path = created["photos"][0]["url"].as_str().unwrap().to_owned();
        let reference = created["reference"].as_str().unwrap();
        let requests = app.get_json(&format!("/open311/v2/requests/{reference}.json")).await;
        let media_url = requests[0]["media_url"].as_str().unwrap();
        assert_eq!(media_url, format!("http://127.0.0.1:8080{photo_path}"), "public_url + the served photo");
        let served = app.get(&photo_path).await.bytes().await.unwrap();
        assert_no_metadata(&served);
        let without_photo = file(app, &street_light_report()).await;
        let plain = app.get_json(&format!("/open311/v2/requests/{}.json", without_photo["reference"].as_str().unwrap())).await;
        assert!(plain[0]["media_url"].is_null(), "{plain}");
    }

    async fn a_report_sent_with_a_refused_photo_is_not_stored_at_all(photo_app) {
        let app = &photo_app.app;
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
        let problem = expect_problem(file_with_photos(app, &street_light_report(), &[phone_jpeg(), gif]).await, 415).await;
        assert!(problem["detail"].as_str().unwrap().contains("photo 2"), "{problem}");
        assert_eq!(app.stored_reports().await, 0);
        assert!(files_in(photo_app.dir.path()).is_empty(), "{:?}", files_in(photo_app.dir.path()));
        let (content_type, body) = multipart(&[phone_jpeg()]);
        let without_report = app.client.post(app.url("/api/v1/reports")).header("Content-Type", content_type).body(body).send().await.unwrap();
        expect_problem(without_report, 400).await;
        assert_eq!(app.stored_reports().await, 0);
    }

    async fn an_upload_whose_row_cannot_be_written_leaves_no_files_behind(photo_app) {
        let app = &photo_app.app;
        let created = file(app, &street_light_report()).await;
        // Simulate a database fault on the photo row only.
        refuse_photo_rows(&app.database_url).await;
        let response = upload(app, &created, &[phone_jpeg()], None).await;
        expect_problem(response, 500).await;
        assert!(files_in(photo_app.dir.path()).is_empty(), "{:?}", files_in(photo_app.dir.path()));
    }
}
