"""A python-keycloak script, as teams write them for Keycloak, run unchanged against Portcullis.

Environment: PORTCULLIS_URL (e.g. http://127.0.0.1:8080/), ADMIN_USER, ADMIN_PASSWORD (a master
realm administrator). Exits non-zero with the failing step on any difference.
"""

import base64
import json
import os
import time

from keycloak import KeycloakAdmin, KeycloakOpenID, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakPostError

URL = os.environ["PORTCULLIS_URL"]
REALM = "default"


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def step(name):
    print(f"step: {name}", flush=True)


step("sign in through admin-cli in the master realm, administer the default realm")
admin = KeycloakAdmin(
    connection=KeycloakOpenIDConnection(
        server_url=URL,
        username=os.environ["ADMIN_USER"],
        password=os.environ["ADMIN_PASSWORD"],
        realm_name=REALM,
        user_realm_name="master",
        client_id="admin-cli",
    )
)

step("create a client with a service account")
cid = admin.create_client(
    {"clientId": "reports-job", "publicClient": False, "serviceAccountsEnabled": True, "standardFlowEnabled": False},
    skip_exists=True,
)
assert admin.get_client_id("reports-job") == cid, "get_client_id finds it"
assert admin.get_client(cid)["serviceAccountsEnabled"] is True

step("regenerate and use its secret")
secret = admin.generate_client_secrets(cid)["value"]
openid = KeycloakOpenID(server_url=URL, realm_name=REALM, client_id="reports-job", client_secret_key=secret)
token = openid.token(grant_type="client_credentials")
assert token["expires_in"] == 300, token

step("set its access token lifespan")
admin.update_client(cid, {"attributes": {"access.token.lifespan": "900"}})
assert openid.token(grant_type="client_credentials")["expires_in"] == 900

step("create a role and map it to the service account")
admin.create_realm_role({"name": "reporter", "description": "Reads reports"}, skip_exists=True)
role = admin.get_realm_role("reporter")
sa = admin.get_client_service_account_user(cid)
assert sa["username"] == "service-account-reports-job", sa
admin.assign_realm_roles(sa["id"], [role])
assert [r["name"] for r in admin.get_realm_roles_of_user(sa["id"])] == ["reporter"]
token = openid.token(grant_type="client_credentials")
assert "reporter" in claims(token["access_token"])["realm_access"]["roles"]

step("set notBefore and see the token in hand die")
assert openid.introspect(token["access_token"])["active"] is True
admin.update_client(cid, {"notBefore": int(time.time()) + 1})
assert openid.introspect(token["access_token"])["active"] is False
admin.update_client(cid, {"notBefore": 0})  # cleared: new tokens work again at once

step("users, created with a password and read back with paging")
for i in range(3):
    admin.create_user(
        {
            "username": f"user{i}",
            "email": f"user{i}@example.com",
            "enabled": True,
            "credentials": [{"type": "password", "value": "a long password", "temporary": False}],
        },
        exist_ok=True,
    )
assert {"user0", "user1", "user2"} <= {u["username"] for u in admin.get_users({})}
assert admin.users_count() >= 3
assert len(admin.get_users({"first": 1, "max": 1})) == 1
uid = admin.get_user_id("user1")
admin.set_user_password(uid, "another long password", temporary=False)
user_openid = KeycloakOpenID(server_url=URL, realm_name=REALM, client_id="admin-cli")
assert user_openid.token("user1", "another long password")["access_token"]

step("a service account holding manage-clients creates clients and nothing else")
rm = admin.get_client_id("realm-management")
manage_clients = admin.get_client_role(rm, "manage-clients")
admin.assign_client_role(sa["id"], rm, [manage_clients])
script = KeycloakAdmin(
    connection=KeycloakOpenIDConnection(
        server_url=URL, realm_name=REALM, client_id="reports-job", client_secret_key=secret
    )
)
made = script.create_client({"clientId": "made-by-script"})
assert script.get_client(made)["clientId"] == "made-by-script"
try:
    script.create_realm_role({"name": "not-allowed"})
    raise AssertionError("a manage-clients service account created a realm role")
except KeycloakPostError as e:
    assert e.response_code == 403, e

step("an identity provider, read back without its secret, changed, and a user linked to it")
admin.create_idp(
    {
        "alias": "github",
        "displayName": "GitHub",
        "providerId": "oauth2",
        "enabled": True,
        "trustEmail": False,
        "storeToken": False,
        "config": {
            "clientId": "gh-client",
            "clientSecret": "gh-secret",
            "authorizationUrl": "https://github.com/login/oauth/authorize",
            "tokenUrl": "https://github.com/login/oauth/access_token",
            "userInfoUrl": "https://api.github.com/user",
            "defaultScope": "read:user user:email",
            "clientAuthMethod": "client_secret_post",
            "syncMode": "IMPORT",
        },
    }
)
idp = admin.get_idp("github")
assert idp["config"]["clientSecret"] == "**********", idp
assert [i["alias"] for i in admin.get_idps()] == ["github"]
idp["displayName"] = "GitHub.com"
admin.update_idp("github", idp)  # the masked secret sent back keeps the secret
assert admin.get_idp("github")["displayName"] == "GitHub.com"
admin.add_user_social_login(uid, "github", "583231", "octocat")
assert admin.get_user_social_logins(uid) == [
    {"identityProvider": "github", "userId": "583231", "userName": "octocat"}
]
admin.delete_user_social_login(uid, "github")
assert admin.get_user_social_logins(uid) == []
admin.delete_idp("github")
assert admin.get_idps() == []

step("delete the clients")
admin.delete_client(made)
admin.delete_client(cid)
assert admin.get_client_id("reports-job") is None
print("ok", flush=True)
