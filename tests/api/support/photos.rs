//! Photos for tests: a server with a local photo folder, a phone photo full of metadata,
//! uploads, and checks that no metadata is left.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};

use super::app::{Backend, TestApp, spawn_app_with};

/// A test server whose local photo folder is a temp folder the test can look into.
pub struct PhotoApp {
    pub app: TestApp,
    pub dir: tempfile::TempDir,
}

/// A server that takes at most 3 photos of at most 256 KiB per report, in a local folder.
pub async fn spawn_photo_app(backend: Backend) -> PhotoApp {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().display().to_string();
    let app = spawn_app_with(backend, |s| {
        s.photo_dir = folder;
        s.photo_max_count = 3;
        s.photo_max_bytes = 256 * 1024;
    })
    .await;
    PhotoApp { app, dir }
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
                "PRAGMA busy_timeout = 10000; CREATE TRIGGER refuse_photo BEFORE INSERT ON report_photos \
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
