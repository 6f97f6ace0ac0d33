// The inbox page's entry: sign in with an API key (kept for this browser tab only), then the inbox.
// The page is served by the service's web port, so it calls grpc-web on its own origin.
import { createTimelyClient } from "../src/web.js";
import { Inbox } from "./inbox.js";
import { describeError } from "./words.js";

const keyStorage = "timely.apiKey";
const agentStorage = "timely.agentId";

const signInForm = document.getElementById("sign-in") as HTMLFormElement;
const keyInput = document.getElementById("api-key") as HTMLInputElement;
const inboxView = document.getElementById("inbox")!;
const signOutButton = document.getElementById("sign-out")!;
const errorBox = document.getElementById("error")!;
const connection = document.getElementById("connection")!;

let inbox: Inbox | undefined;

function showError(message: string | undefined): void {
  errorBox.textContent = message ?? "";
  errorBox.hidden = !message;
}

/** This browser's identity as a human agent: the `assigned_to` of a handoff and the sender of replies. */
function agentId(): string {
  let id = localStorage.getItem(agentStorage);
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem(agentStorage, id);
  }
  return id;
}

async function signIn(apiKey: string): Promise<void> {
  const client = createTimelyClient({ baseUrl: location.origin, apiKey });
  try {
    await client.listConversations({ pageSize: 1 });   // the key is checked before the inbox opens
  } catch (error) {
    signOut(describeError(error));
    return;
  }
  sessionStorage.setItem(keyStorage, apiKey);
  showError(undefined);
  signInForm.hidden = true;
  inboxView.hidden = false;
  signOutButton.hidden = false;
  connection.textContent = "Connecting…";
  inbox = new Inbox(client, agentId(), showError, signOut);
  inbox.start();
}

function signOut(reason?: string): void {
  inbox?.stop();
  inbox = undefined;
  sessionStorage.removeItem(keyStorage);
  inboxView.hidden = true;
  signOutButton.hidden = true;
  signInForm.hidden = false;
  connection.textContent = "";
  showError(reason);
}

signInForm.onsubmit = (e) => {
  e.preventDefault();
  void signIn(keyInput.value.trim());
};
signOutButton.onclick = () => signOut();

const remembered = sessionStorage.getItem(keyStorage);
if (remembered) {
  void signIn(remembered);
}
