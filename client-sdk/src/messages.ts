/**
 * The messages of the SDK's own errors (the {@link ClientCodes}), in the
 * server's six languages. Pupils and teachers read them, so they say what
 * happened and what to do in plain words; the technical detail (the event,
 * the REST path, the HTTP status, what `getToken` threw) goes in the error's
 * `details` and `cause`, not here.
 *
 * The language is the client's `lang` option, else the browser's
 * `navigator.language`, picked by the server's rule: the language part of a
 * tag (`de-AT` -> `de`), English when it is not one of {@link LANGUAGES}.
 */

import type { ClientCode } from "./errors.js";

/** The languages of the SDK's messages, as the server's catalogues. */
export const LANGUAGES = ["en", "fr", "de", "it", "es", "pl"] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = "en";

/** Every client code's message in every language; `{name}` fields are filled from the error's details. */
export const MESSAGES: Record<Language, Record<ClientCode, string>> = {
  en: {
    "client.timeout": "The server did not answer in time. Please try again.",
    "client.disconnected": "The connection was lost before the server answered, so this may or may not have been "
      + "done. Please check before you try again.",
    "client.closed": "This could not be finished: the connection or the room was closed.",
    "client.network": "The server cannot be reached. Check the internet connection and try again.",
    "client.token_unavailable": "Your sign-in could not be checked. Reload the page, or sign in again.",
    "client.bad_response": "The server sent an answer that could not be understood. Please try again later.",
    "client.aborted": "This was cancelled.",
  },
  fr: {
    "client.timeout": "Le serveur n'a pas répondu à temps. Veuillez réessayer.",
    "client.disconnected": "La connexion a été coupée avant la réponse du serveur : ce n'est peut-être pas fait. "
      + "Vérifiez avant de réessayer.",
    "client.closed": "Impossible de terminer : la connexion ou le salon a été fermé.",
    "client.network": "Le serveur est injoignable. Vérifiez la connexion Internet et réessayez.",
    "client.token_unavailable": "Votre connexion n'a pas pu être vérifiée. Rechargez la page ou reconnectez-vous.",
    "client.bad_response": "Le serveur a envoyé une réponse incompréhensible. Veuillez réessayer plus tard.",
    "client.aborted": "C'est annulé.",
  },
  de: {
    "client.timeout": "Der Server hat nicht rechtzeitig geantwortet. Versuch es bitte noch einmal.",
    "client.disconnected": "Die Verbindung ist abgebrochen, bevor der Server geantwortet hat. Vielleicht hat es "
      + "trotzdem geklappt: Schau bitte nach, bevor du es noch einmal versuchst.",
    "client.closed": "Das konnte nicht fertig werden: Die Verbindung oder der Raum wurde geschlossen.",
    "client.network": "Der Server ist nicht erreichbar. Prüf die Internetverbindung und versuch es noch einmal.",
    "client.token_unavailable": "Deine Anmeldung konnte nicht geprüft werden. Lade die Seite neu oder melde dich "
      + "noch einmal an.",
    "client.bad_response": "Der Server hat eine Antwort geschickt, die nicht verstanden wurde. Versuch es bitte "
      + "später noch einmal.",
    "client.aborted": "Das wurde abgebrochen.",
  },
  it: {
    "client.timeout": "Il server non ha risposto in tempo. Riprova.",
    "client.disconnected": "La connessione si è interrotta prima della risposta del server: forse è stato fatto, "
      + "forse no. Controlla prima di riprovare.",
    "client.closed": "Non è stato possibile finire: la connessione o la stanza è stata chiusa.",
    "client.network": "Il server non è raggiungibile. Controlla la connessione a Internet e riprova.",
    "client.token_unavailable": "Non è stato possibile verificare il tuo accesso. Ricarica la pagina o accedi di nuovo.",
    "client.bad_response": "Il server ha inviato una risposta che non si riesce a capire. Riprova più tardi.",
    "client.aborted": "Operazione annullata.",
  },
  es: {
    "client.timeout": "El servidor no ha respondido a tiempo. Inténtalo de nuevo.",
    "client.disconnected": "La conexión se ha cortado antes de que respondiera el servidor: puede que se haya hecho "
      + "o puede que no. Compruébalo antes de volver a intentarlo.",
    "client.closed": "No se ha podido terminar: se ha cerrado la conexión o la sala.",
    "client.network": "No se puede conectar con el servidor. Comprueba la conexión a internet e inténtalo de nuevo.",
    "client.token_unavailable": "No se ha podido comprobar tu inicio de sesión. Vuelve a cargar la página o inicia "
      + "sesión otra vez.",
    "client.bad_response": "El servidor ha enviado una respuesta que no se entiende. Inténtalo más tarde.",
    "client.aborted": "Se ha cancelado.",
  },
  pl: {
    "client.timeout": "Serwer nie odpowiedział na czas. Spróbuj ponownie.",
    "client.disconnected": "Połączenie zostało przerwane, zanim serwer odpowiedział, więc nie wiadomo, czy to się "
      + "udało. Sprawdź, zanim spróbujesz ponownie.",
    "client.closed": "Nie udało się dokończyć: połączenie lub pokój zostały zamknięte.",
    "client.network": "Nie można połączyć się z serwerem. Sprawdź połączenie z internetem i spróbuj ponownie.",
    "client.token_unavailable": "Nie udało się sprawdzić twojego logowania. Odśwież stronę albo zaloguj się ponownie.",
    "client.bad_response": "Serwer wysłał odpowiedź, której nie da się zrozumieć. Spróbuj ponownie później.",
    "client.aborted": "Anulowano.",
  },
};

function isLanguage(value: string): value is Language {
  return (LANGUAGES as readonly string[]).includes(value);
}

/**
 * The language for `requested` (a language tag such as `de` or `pl-PL`):
 * its language part when the SDK speaks it, else English. Without one, the
 * browser's `navigator.language`, by the same rule.
 */
export function pickLanguage(requested?: string): Language {
  const tag = requested
    ?? (globalThis as { navigator?: { language?: unknown } }).navigator?.language;
  if (typeof tag !== "string") return DEFAULT_LANGUAGE;
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0] ?? "";
  return isLanguage(primary) ? primary : DEFAULT_LANGUAGE;
}

/** The message of a client code in `lang` (English when none is given), its `{fields}` filled from `values`. */
export function clientMessage(lang: Language | undefined, code: ClientCode, values: Record<string, unknown> = {}): string {
  const template = MESSAGES[lang ?? DEFAULT_LANGUAGE][code];
  return template.replace(/\{(\w+)\}/g, (field, name: string) => (name in values ? String(values[name]) : field));
}
