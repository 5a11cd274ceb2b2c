//! `SchemaRegistryClient` endpoints against a real Herald schema registry
//! (in-process, over an in-process broker).

use herald_client::registry::{ContextId, Normalize, SchemaRequest};
use herald_schema::SchemaType;
use uuid::Uuid;

use crate::share_consumer::{TestBroker, registry};

const USER: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_by_guid_lists_the_id_in_every_context_and_an_unknown_guid_is_40403() {
    let broker = TestBroker::start().await;
    let (client, _stop) = registry(&broker).await;
    let user = SchemaRequest::new(SchemaType::Avro, USER, vec![]);
    let other = SchemaRequest::new(
        SchemaType::Avro,
        r#"{"type":"record","name":"Other","fields":[]}"#,
        vec![],
    );
    // Other takes id 1 in the default context, so User's ids differ
    // between the contexts.
    client
        .register("other", &other, Normalize::No)
        .await
        .unwrap();
    let here = client
        .register("users", &user, Normalize::No)
        .await
        .unwrap();
    let prod = client
        .register(":.prod:users", &user, Normalize::No)
        .await
        .unwrap();
    assert_eq!((here.id, prod.id), (2, 1));
    let guid: Uuid = here.guid.as_deref().unwrap().parse().unwrap();
    assert_eq!(prod.guid, here.guid, "the GUID names the content alone");

    let ids = client.ids_by_guid(guid).await.unwrap();
    assert_eq!(
        ids,
        vec![
            ContextId {
                context: ".".to_owned(),
                id: 2
            },
            ContextId {
                context: ".prod".to_owned(),
                id: 1
            },
        ]
    );
    // The schema by the same GUID.
    let text = client.schema_by_guid(guid).await.unwrap();
    assert_eq!(text.guid.as_deref(), here.guid.as_deref());

    let err = client.ids_by_guid(Uuid::nil()).await.unwrap_err();
    assert_eq!(err.error_code(), Some(40403), "{err}");
}
