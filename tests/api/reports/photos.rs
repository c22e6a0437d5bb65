//! Photos with reports: only the reporter may add them, their type is sniffed, they are
//! served upright and without any metadata, and never for non-public categories.

use std::io::Cursor;

use serde_json::{Value, json};

use crate::support::app::{TestApp, expect_problem, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::photos::*;

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

on_both_backends! {
    setup = spawn_photo_app;

    async fn a_phone_photo_with_gps_is_served_upright_and_without_any_metadata(photo_app: PhotoApp) {
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

    async fn only_the_reporter_with_the_token_can_add_photos(photo_app: PhotoApp) {
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

    async fn content_that_is_not_an_accepted_image_is_refused_whatever_its_name_says(photo_app: PhotoApp) {
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

    async fn a_report_takes_at_most_the_configured_number_and_size_of_photos(photo_app: PhotoApp) {
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

    async fn photos_of_reports_in_non_public_categories_are_never_served_publicly(photo_app: PhotoApp) {
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

    async fn a_report_filed_together_with_a_phone_photo_serves_it_without_metadata(photo_app: PhotoApp) {
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

    async fn open311_media_url_points_at_the_served_photo_without_metadata(photo_app: PhotoApp) {
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

    async fn a_report_sent_with_a_refused_photo_is_not_stored_at_all(photo_app: PhotoApp) {
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

    async fn an_upload_whose_row_cannot_be_written_leaves_no_files_behind(photo_app: PhotoApp) {
        let app = &photo_app.app;
        let created = file(app, &street_light_report()).await;
        // Simulate a database fault on the photo row only.
        refuse_photo_rows(&app.database_url).await;
        let response = upload(app, &created, &[phone_jpeg()], None).await;
        expect_problem(response, 500).await;
        assert!(files_in(photo_app.dir.path()).is_empty(), "{:?}", files_in(photo_app.dir.path()));
    }
}
