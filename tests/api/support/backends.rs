//! [`on_both_backends!`]: the one way to run a test on SQLite and on PostgreSQL.

/// Runs each body twice, as the tests `<sentence>::on_sqlite` and `<sentence>::on_postgres`
/// (each on a multi-threaded runtime of its own), and after the body checks that no log
/// line of the run so far holds personal data ([`super::logs::assert_no_personal_data`]).
/// The module around them sees the items of the module the macro is used in.
///
/// ```ignore
/// on_both_backends! {
///     // `app` is a `TestApp` from `spawn_app(backend)`.
///     async fn a_sentence_that_names_the_behaviour(app) { … }
///
///     // The body starts what it needs itself. `Backend` is matched as a word here: it
///     // needs no import, and a path to it is not recognised.
///     async fn another_sentence(backend: Backend) { … }
/// }
///
/// on_both_backends! {
///     // `app` is what `setup(backend).await` returns: a `TestApp` unless typed otherwise.
///     setup = crate::support::staff::spawn_staff_app;
///     async fn a_third_sentence(app) { … }
/// }
///
/// on_both_backends! {
///     setup = crate::support::photos::spawn_photo_app;
///     async fn a_fourth_sentence(photo_app: PhotoApp) { … }
/// }
/// ```
macro_rules! on_both_backends {
    (@test [$setup:expr] $name:ident ($backend:ident : Backend) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($backend: $crate::support::app::Backend) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                body($crate::support::app::Backend::Sqlite).await;
                $crate::support::logs::assert_no_personal_data();
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                body($crate::support::app::Backend::Postgres).await;
                $crate::support::logs::assert_no_personal_data();
            }
        }
    };
    (@test [$setup:expr] $name:ident ($app:ident : $app_type:ty) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: $app_type) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                body(($setup)($crate::support::app::Backend::Sqlite).await).await;
                $crate::support::logs::assert_no_personal_data();
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                body(($setup)($crate::support::app::Backend::Postgres).await).await;
                $crate::support::logs::assert_no_personal_data();
            }
        }
    };
    (@test [$setup:expr] $name:ident ($app:ident) $body:block) => {
        $crate::support::backends::on_both_backends!(
            @test [$setup] $name ($app: $crate::support::app::TestApp) $body
        );
    };
    (setup = $setup:expr; $(async fn $name:ident ($($param:tt)*) $body:block)*) => {
        $(
            $crate::support::backends::on_both_backends!(@test [$setup] $name ($($param)*) $body);
        )*
    };
    ($(async fn $name:ident ($($param:tt)*) $body:block)*) => {
        $(
            $crate::support::backends::on_both_backends!(
                @test [$crate::support::app::spawn_app] $name ($($param)*) $body
            );
        )*
    };
}

pub(crate) use on_both_backends;
