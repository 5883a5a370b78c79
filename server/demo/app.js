/* The Twinspace demo portal page: plain JavaScript on the SDK's browser build (global `Twinspace`).
 *
 * It plays the part of a school portal: pick one of the demo project's people (POST /demo/api/session
 * hands out their token), then chat, post in the forum, mail and share files through the SDK.
 * Every piece of UI text is in STRINGS; every element the browser test uses has a data-testid.
 */
"use strict";

(() => {
  // ---- UI text: English, French, German, Italian, Spanish, Polish ---------------------------------

  const STRINGS = {
    en: {
      skip: "Skip to content",
      title: "Twinspace demo",
      language: "Language",
      switchUser: "Change person",
      loginTitle: "Who are you today?",
      loginIntro: "This page plays a school portal: pick one of the demo project's people and use Twinspace as "
        + "they would. Open a second window as someone else to see messages arrive live.",
      loginAs: "Continue as {name}",
      role_teacher: "Teacher", role_pupil: "Pupil", role_visitor: "Visitor", role_support: "Support officer",
      signedInAs: "Signed in as {name} ({role}, {country})",
      sections: "Twinspace sections",
      chat: "Chat", forum: "Forum", mail: "Mail",
      rooms: "Rooms", online: "Online", you: "you",
      noRooms: "No chat room is open to you in this project.",
      visitorHint: "Visitors read the spaces a teacher opens to visitors; this demo project has none yet. "
        + "Mail from the project still reaches you.",
      older: "Show older messages", noMessages: "No messages yet: say hello!",
      messageLabel: "Message", messagePlaceholder: "Write a message…",
      attach: "Attach a file", send: "Send", cancel: "Cancel", reply: "Reply",
      replyingTo: "Replying to {name}: {text}",
      inReplyTo: "In reply to {name}: {text}",
      deletedMessage: "Message deleted",
      edited: "edited",
      typingOne: "{name} is typing…", typingMany: "{names} are typing…",
      unreadIn: "{count} unread",
      uploading: "Uploading {name}…", uploaded: "{name} is ready to send.",
      attached: "Attached: {name}",
      removeFile: "Remove {name}",
      download: "Download {name} ({size})",
      threads: "Threads", newThread: "Start a thread", threadTitle: "Title", threadBody: "Text",
      publish: "Publish", pickThread: "Pick a thread, or start one.", noThreads: "No thread yet.",
      noForum: "No forum is open to you in this project.",
      posts: "{count} replies", by: "by {name}", replyInThread: "Your reply", postReply: "Reply",
      locked: "This thread is locked.", pinned: "Pinned",
      folders: "Folders", inbox: "Inbox", sent: "Sent", compose: "Write a mail", to: "To", subject: "Subject",
      body: "Message", pickMail: "Pick a mail to read it.", noMail: "No mail here.",
      from: "From {name}", toNames: "To {names}", mailSent: "Mail sent.", visitorsNoMail: "Visitors read mail but do not send it.",
      connecting: "Connecting…", connected: "Connected", disconnected: "Connection lost; reconnecting…",
      sdkMissing: "The SDK (twinspace.js) is not available: build client-sdk first.",
      footer: "Demo data only: anyone who reaches this server can be anyone here.",
      bytes: "{n} B", kb: "{n} KB", mb: "{n} MB",
      // safeguarding
      moderation: "Moderation", report: "Report", reportTitle: "Report this to the teachers",
      reportReason: "Why?", reportNote: "Anything to add (optional)",
      reportSerious: "This is serious: tell the national support service too",
      reportPrivacy: "The person you report never sees your name.", reportSend: "Send the report",
      reportWhat: "{kind} by {name}: {text}",
      reason_bullying: "Bullying or threats", reason_inappropriate: "Inappropriate content",
      reason_personal_data: "Personal data shared (address, phone, photos…)", reason_spam: "Spam", reason_other: "Something else",
      reportReceived: "Thank you: your report was received. A teacher will look at it soon.",
      reportHandled: "Your report ({reason}) was handled: {state}.",
      reportDuplicate: "You have already reported this.",
      state_open: "Open", state_resolved: "Resolved", state_dismissed: "Dismissed",
      reportQueue: "Reports", noReports: "No reports here.", pickReport: "Pick a report to see what was reported.",
      reportedBy: "Reported by {name}", reportedAt: "Reported {when}", automatic: "Flagged by the word filter",
      reportedAuthor: "Written by {name}", serious: "Serious", escalated: "Sent to the support service",
      reporterNote: "Reporter's note: {note}", asReported: "As it was when reported",
      context: "Around it", decidedBy: "{state} by {name}: {note}", actionTaken: "Done: {action}",
      hide: "Hide", unhide: "Show again", delete: "Delete", hiddenMessage: "Hidden by a teacher",
      muteFor: "Mute {name} for", minutes: "minutes", mute: "Mute",
      mutedNotice: "{name} is muted until {until}.", hiddenNotice: "Hidden.", deletedNotice: "Deleted.",
      decisionNote: "Note for the other teachers", resolve: "Resolve", dismiss: "Dismiss",
      cannotHide: "This kind of item cannot be hidden from here.",
      roomRules: "Room rules", readOnlyLabel: "Announcements only (pupils read, teachers write)",
      slowModeLabel: "Slow mode: seconds between a pupil's messages (0: off)", save: "Save", saved: "Saved.",
      safeguardingTitle: "Project safeguarding settings", chatHours: "Chat hours",
      hoursOn: "Pupils write only during these hours (teachers always can)", hoursStart: "From", hoursEnd: "Until",
      hoursZone: "Time zone", wordFilter: "Word filter", filter_off: "Off", filter_block: "Block the message",
      filter_flag: "Send it and report it to the teachers", customWords: "Your own words, one per line",
      allowedWords: "Everyday words not to filter, one per line",
      mailPolicy: "Pupils' mail", policy_teachers_only: "Pupils mail teachers only",
      policy_supervised: "Pupils mail project members; teachers read it",
      write_muted: "You are muted until {until}: you can read but not write.",
      write_read_only: "Announcements only: only teachers write in this room.",
      write_slow_mode: "Slow mode: wait {secs} s before your next message.",
      write_slow_on: "Slow mode is on: one message every {secs} s.",
      write_closed: "The chat is closed now; it opens again {when}.",
      write_closed_soon: "The chat is closed now.",
      write_denied: "You can read this room but not write in it.",
      staffReadOnly: "Announcements only: pupils read what teachers write here.",
      auditLog: "Audit log", auditMore: "Show older entries", auditEmpty: "Nothing recorded yet.",
      auditEntry: "{actor}: {action} ({target})",
      supervised: "Pupils' mail", fromTo: "From {from} to {to}", showConversation: "Show the whole conversation",
      conversationTitle: "The conversation", removeMail: "Remove from every mailbox", mailRemoved: "The mail was removed.",
      // privacy
      exportMine: "Export my data", exporting: "Preparing the export…", exported: "Export saved: {name} ({size}).",
      membersTitle: "Project members and their data",
      membersIntro: "Export everything Twinspace holds about a member (a ZIP), or erase a member who leaves: what they "
        + "wrote and shared goes, what others wrote stays.",
      memberExport: "Export data", memberExportLabel: "Export the data of {name}",
      memberErase: "Erase this person", memberEraseLabel: "Erase {name}", noMembers: "No members.",
      retentionTitle: "Project settings: how long things are kept",
      retentionIntro: "In days, from 1 to 3,650. Leave a period empty to keep that kind until the project ends; once "
        + "the project is archived it is deleted after its grace period.",
      retentionChat: "Chat messages", retentionForum: "Forum threads and posts", retentionMail: "Mail",
      retentionFiles: "Files never attached to a message, post or mail (an attached file goes with its item)",
      retentionKept: "Kept until the project ends",
      retentionHeld: "Held by the national support service ({reason}): it will not be deleted while held.",
      retentionDeleteAfter: "Archived: everything will be deleted on {when}.",
      eraseTitle: "Erase {name}?", eraseWhat: "This will go, for good, from every store of the platform:",
      eraseStays: "What others wrote stays; the person's name there becomes \"former member\". Their access to this project "
        + "ends at once. The erasure is recorded in the audit log, without the erased content.",
      eraseExpires: "This confirmation is valid until {when}.",
      eraseUnderstood: "I understand that everything {name} wrote and shared here is erased for good, and that this cannot be undone.",
      eraseConfirm: "Erase for good", eraseNothing: "Nothing they wrote or shared: only their profile and membership.",
      erasedNotice: "{name} was erased from the project.",
      youWereErased: "Your data in this project was erased: you no longer have access to it.",
      summary_messages: "{n} chat messages", summary_posts: "{n} forum posts", summary_threads: "{n} forum threads",
      summary_mails: "{n} mails they sent (emptied for every recipient)", summary_mail_copies: "{n} mails in their mailbox",
      summary_files: "{n} files", summary_reports: "{n} reports: their part (what they wrote, their name, their notes)",
      summary_other: "{kind}: {n}",
      // classroom chat: seen by, reactions, mentions, polls, pins
      seenBy: "Seen by {count}", seenByWho: "Seen by {count}: show who", seenByNobody: "Nobody has read it yet.",
      seenByList: "Who has read this message",
      reactionsLabel: "Reactions", reactionAdd: "Add a reaction", reactionPick: "Pick a reaction",
      reactionCount: "{emoji} {count}: press to add yours", reactionMine: "{emoji} {count}: you chose it, press to take it back",
      reactWith: "React with {emoji}",
      teachersHandle: "teachers", mentionTeachers: "All the teachers of the project", mentionPick: "People you can mention",
      mentionsYou: "This message mentions you",
      mentionsOne: "1 message mentions you", mentionsMany: "{count} messages mention you",
      newPoll: "New poll", pollQuestion: "Question", pollOptions: "Answers, one per line (2 to 10)",
      pollMultiple: "Each person may choose more than one answer",
      pollAnonymous: "Anonymous: nobody, teachers included, sees who chose what",
      pollClosesAt: "Voting ends at (optional)", pollCreate: "Ask the room", pollCreated: "Your poll is in the room.",
      pollLabel: "Poll", pollVote: "Vote", pollChange: "Change my vote", pollVoted: "Your vote is counted.",
      votesOne: "1 vote", votesMany: "{count} votes", votersNone: "Nobody has voted yet.",
      votersOne: "1 person voted", votersMany: "{count} people voted",
      pollYours: "your choice", pollClosed: "Voting has ended.", pollCloses: "Voting ends {when}.",
      pollAnonymousNote: "Anonymous poll: nobody sees who chose what.",
      pollClose: "End the vote", pollSeeVoters: "See who voted", pollNoVoters: "nobody",
      pollChooseOne: "Choose one answer.", pollChooseSome: "Choose one or more answers.",
      pinnedTitle: "Pinned by the teachers", pin: "Pin", unpin: "Unpin",
      searchLabel: "Look for a word", searchPlaceholder: "For example: river, Rhein, exposé", searchButton: "Search",
      searchClose: "Close the results", searchMore: "Show more results", searching: "Looking for “{q}”…",
      searchFound: "What we found for “{q}”", searchNothing: "Nothing found for “{q}”. Try another word, or fewer words.",
      searchOpen: "Open", searchBy: "by {name}",
      kind_message: "Chat message", kind_thread: "Forum topic", kind_post: "Forum reply", kind_mail: "Mail", kind_file: "File",
      whereRoom: "in the room “{name}”", whereForum: "in the forum, topic “{title}”", whereMail: "in your mail: “{title}”",
      whereFile: "file “{title}”", whereSomewhere: "in this project",
      searchGone: "This message is no longer in the room.",
    },
    fr: {
      skip: "Aller au contenu",
      title: "Démo Twinspace",
      language: "Langue",
      switchUser: "Changer de personne",
      loginTitle: "Qui êtes-vous aujourd'hui ?",
      loginIntro: "Cette page joue le rôle d'un portail scolaire : choisissez une personne du projet de démo et "
        + "utilisez Twinspace comme elle. Ouvrez une deuxième fenêtre sous une autre identité pour voir les "
        + "messages arriver en direct.",
      loginAs: "Continuer en tant que {name}",
      role_teacher: "Enseignant·e", role_pupil: "Élève", role_visitor: "Visiteur·euse", role_support: "Agent de soutien",
      signedInAs: "Connecté·e en tant que {name} ({role}, {country})",
      sections: "Rubriques du Twinspace",
      chat: "Discussion", forum: "Forum", mail: "Messagerie",
      rooms: "Salons", online: "En ligne", you: "vous",
      noRooms: "Aucun salon de discussion ne vous est ouvert dans ce projet.",
      visitorHint: "Les visiteurs lisent les espaces qu'un enseignant leur ouvre ; ce projet de démo n'en a pas "
        + "encore. Les courriels du projet vous parviennent toujours.",
      older: "Afficher les messages précédents", noMessages: "Pas encore de message : dites bonjour !",
      messageLabel: "Message", messagePlaceholder: "Écrire un message…",
      attach: "Joindre un fichier", send: "Envoyer", cancel: "Annuler", reply: "Répondre",
      replyingTo: "En réponse à {name} : {text}",
      inReplyTo: "En réponse à {name} : {text}",
      deletedMessage: "Message supprimé",
      edited: "modifié",
      typingOne: "{name} est en train d'écrire…", typingMany: "{names} sont en train d'écrire…",
      unreadIn: "{count} non lus",
      uploading: "Envoi de {name}…", uploaded: "{name} est prêt à être envoyé.",
      attached: "Pièce jointe : {name}",
      removeFile: "Retirer {name}",
      download: "Télécharger {name} ({size})",
      threads: "Discussions", newThread: "Lancer une discussion", threadTitle: "Titre", threadBody: "Texte",
      publish: "Publier", pickThread: "Choisissez une discussion, ou lancez-en une.", noThreads: "Aucune discussion pour l'instant.",
      noForum: "Aucun forum ne vous est ouvert dans ce projet.",
      posts: "{count} réponses", by: "par {name}", replyInThread: "Votre réponse", postReply: "Répondre",
      locked: "Cette discussion est verrouillée.", pinned: "Épinglée",
      folders: "Dossiers", inbox: "Boîte de réception", sent: "Envoyés", compose: "Écrire un courriel", to: "À",
      subject: "Objet", body: "Message", pickMail: "Choisissez un courriel pour le lire.", noMail: "Aucun courriel ici.",
      from: "De {name}", toNames: "À {names}", mailSent: "Courriel envoyé.",
      visitorsNoMail: "Les visiteurs lisent les courriels mais n'en envoient pas.",
      connecting: "Connexion…", connected: "Connecté", disconnected: "Connexion perdue ; reconnexion…",
      sdkMissing: "Le SDK (twinspace.js) est introuvable : construisez d'abord client-sdk.",
      footer: "Données de démonstration : toute personne qui atteint ce serveur peut être n'importe qui ici.",
      bytes: "{n} o", kb: "{n} Ko", mb: "{n} Mo",
      // safeguarding
      moderation: "Modération", report: "Signaler", reportTitle: "Signaler ceci aux enseignants",
      reportReason: "Pourquoi ?", reportNote: "Quelque chose à ajouter (facultatif)",
      reportSerious: "C'est grave : prévenir aussi le service national d'assistance",
      reportPrivacy: "La personne signalée ne voit jamais votre nom.", reportSend: "Envoyer le signalement",
      reportWhat: "{kind} de {name} : {text}",
      reason_bullying: "Harcèlement ou menaces", reason_inappropriate: "Contenu inapproprié",
      reason_personal_data: "Données personnelles partagées (adresse, téléphone, photos…)", reason_spam: "Spam", reason_other: "Autre chose",
      reportReceived: "Merci : votre signalement a bien été reçu. Un enseignant va s'en occuper.",
      reportHandled: "Votre signalement ({reason}) a été traité : {state}.",
      reportDuplicate: "Vous avez déjà signalé ceci.",
      state_open: "Ouvert", state_resolved: "Résolu", state_dismissed: "Classé",
      reportQueue: "Signalements", noReports: "Aucun signalement ici.", pickReport: "Choisissez un signalement pour voir ce qui a été signalé.",
      reportedBy: "Signalé par {name}", reportedAt: "Signalé {when}", automatic: "Repéré par le filtre de mots",
      reportedAuthor: "Écrit par {name}", serious: "Grave", escalated: "Transmis au service d'assistance",
      reporterNote: "Note de la personne qui signale : {note}", asReported: "Tel qu'au moment du signalement",
      context: "Autour", decidedBy: "{state} par {name} : {note}", actionTaken: "Fait : {action}",
      hide: "Masquer", unhide: "Afficher à nouveau", delete: "Supprimer", hiddenMessage: "Masqué par un enseignant",
      muteFor: "Rendre muet·te {name} pendant", minutes: "minutes", mute: "Rendre muet",
      mutedNotice: "{name} est muet·te jusqu'à {until}.", hiddenNotice: "Masqué.", deletedNotice: "Supprimé.",
      decisionNote: "Note pour les autres enseignants", resolve: "Résoudre", dismiss: "Classer",
      cannotHide: "Ce type d'élément ne peut pas être masqué d'ici.",
      roomRules: "Règles du salon", readOnlyLabel: "Annonces seulement (les élèves lisent, les enseignants écrivent)",
      slowModeLabel: "Mode lent : secondes entre deux messages d'un élève (0 : désactivé)", save: "Enregistrer", saved: "Enregistré.",
      safeguardingTitle: "Protection des élèves dans le projet", chatHours: "Horaires de discussion",
      hoursOn: "Les élèves n'écrivent qu'à ces heures (les enseignants toujours)", hoursStart: "De", hoursEnd: "À",
      hoursZone: "Fuseau horaire", wordFilter: "Filtre de mots", filter_off: "Désactivé", filter_block: "Bloquer le message",
      filter_flag: "L'envoyer et le signaler aux enseignants", customWords: "Vos propres mots, un par ligne",
      allowedWords: "Mots courants à ne pas filtrer, un par ligne",
      mailPolicy: "Courriels des élèves", policy_teachers_only: "Les élèves n'écrivent qu'aux enseignants",
      policy_supervised: "Les élèves écrivent aux membres du projet ; les enseignants lisent",
      write_muted: "Vous êtes muet·te jusqu'à {until} : vous pouvez lire mais pas écrire.",
      write_read_only: "Annonces seulement : seuls les enseignants écrivent dans ce salon.",
      write_slow_mode: "Mode lent : attendez {secs} s avant votre prochain message.",
      write_slow_on: "Mode lent activé : un message toutes les {secs} s.",
      write_closed: "La discussion est fermée ; elle rouvre {when}.",
      write_closed_soon: "La discussion est fermée pour le moment.",
      write_denied: "Vous pouvez lire ce salon mais pas y écrire.",
      staffReadOnly: "Annonces seulement : les élèves lisent ce que les enseignants écrivent ici.",
      auditLog: "Journal d'audit", auditMore: "Afficher les entrées précédentes", auditEmpty: "Rien d'enregistré pour l'instant.",
      auditEntry: "{actor} : {action} ({target})",
      supervised: "Courriels des élèves", fromTo: "De {from} à {to}", showConversation: "Afficher toute la conversation",
      conversationTitle: "La conversation", removeMail: "Retirer de toutes les boîtes", mailRemoved: "Le courriel a été retiré.",
      // privacy
      exportMine: "Exporter mes données", exporting: "Préparation de l'export…", exported: "Export enregistré : {name} ({size}).",
      membersTitle: "Membres du projet et leurs données",
      membersIntro: "Exportez tout ce que Twinspace conserve sur un membre (un fichier ZIP), ou effacez un membre qui "
        + "part : ce qu'il a écrit et partagé disparaît, ce que les autres ont écrit reste.",
      memberExport: "Exporter les données", memberExportLabel: "Exporter les données de {name}",
      memberErase: "Effacer cette personne", memberEraseLabel: "Effacer {name}", noMembers: "Aucun membre.",
      retentionTitle: "Paramètres du projet : durée de conservation",
      retentionIntro: "En jours, de 1 à 3 650. Laissez une durée vide pour garder ce type de contenu jusqu'à la fin du "
        + "projet ; une fois le projet archivé, il est supprimé après son délai de grâce.",
      retentionChat: "Messages de discussion", retentionForum: "Discussions et réponses du forum", retentionMail: "Courriels",
      retentionFiles: "Fichiers jamais joints à un message, une réponse ou un courriel (un fichier joint part avec lui)",
      retentionKept: "Conservé jusqu'à la fin du projet",
      retentionHeld: "Conservé à la demande du service national d'assistance ({reason}) : il ne sera pas supprimé tant que cette demande tient.",
      retentionDeleteAfter: "Archivé : tout sera supprimé le {when}.",
      eraseTitle: "Effacer {name} ?", eraseWhat: "Ceci disparaîtra définitivement de tous les stockages de la plateforme :",
      eraseStays: "Ce que les autres ont écrit reste ; le nom de la personne y devient « ancien membre ». Son accès à ce "
        + "projet s'arrête aussitôt. L'effacement est inscrit au journal d'audit, sans le contenu effacé.",
      eraseExpires: "Cette confirmation est valable jusqu'à {when}.",
      eraseUnderstood: "Je comprends que tout ce que {name} a écrit et partagé ici est effacé définitivement, sans retour possible.",
      eraseConfirm: "Effacer définitivement", eraseNothing: "Rien d'écrit ni de partagé : seulement son profil et son adhésion.",
      erasedNotice: "{name} a été effacé·e du projet.",
      youWereErased: "Vos données dans ce projet ont été effacées : vous n'y avez plus accès.",
      summary_messages: "{n} messages de discussion", summary_posts: "{n} réponses du forum", summary_threads: "{n} discussions du forum",
      summary_mails: "{n} courriels envoyés (vidés pour chaque destinataire)", summary_mail_copies: "{n} courriels dans sa boîte",
      summary_files: "{n} fichiers", summary_reports: "{n} signalements : sa part (ce qu'il ou elle a écrit, son nom, ses notes)",
      summary_other: "{kind} : {n}",
      // classroom chat: seen by, reactions, mentions, polls, pins
      seenBy: "Vu par {count}", seenByWho: "Vu par {count} : voir qui", seenByNobody: "Personne ne l'a encore lu.",
      seenByList: "Qui a lu ce message",
      reactionsLabel: "Réactions", reactionAdd: "Ajouter une réaction", reactionPick: "Choisir une réaction",
      reactionCount: "{emoji} {count} : appuyez pour ajouter la vôtre",
      reactionMine: "{emoji} {count} : vous l'avez choisie, appuyez pour la retirer",
      reactWith: "Réagir avec {emoji}",
      teachersHandle: "enseignants", mentionTeachers: "Tous les enseignants du projet", mentionPick: "Personnes que vous pouvez mentionner",
      mentionsYou: "Ce message vous mentionne",
      mentionsOne: "1 message vous mentionne", mentionsMany: "{count} messages vous mentionnent",
      newPoll: "Nouveau sondage", pollQuestion: "Question", pollOptions: "Réponses, une par ligne (de 2 à 10)",
      pollMultiple: "Chacun peut choisir plusieurs réponses",
      pollAnonymous: "Anonyme : personne, pas même les enseignants, ne voit qui a choisi quoi",
      pollClosesAt: "Fin du vote (facultatif)", pollCreate: "Poser la question", pollCreated: "Votre sondage est dans le salon.",
      pollLabel: "Sondage", pollVote: "Voter", pollChange: "Changer mon vote", pollVoted: "Votre vote est compté.",
      votesOne: "1 voix", votesMany: "{count} voix", votersNone: "Personne n'a encore voté.",
      votersOne: "1 personne a voté", votersMany: "{count} personnes ont voté",
      pollYours: "votre choix", pollClosed: "Le vote est terminé.", pollCloses: "Le vote se termine {when}.",
      pollAnonymousNote: "Sondage anonyme : personne ne voit qui a choisi quoi.",
      pollClose: "Terminer le vote", pollSeeVoters: "Voir qui a voté", pollNoVoters: "personne",
      pollChooseOne: "Choisissez une réponse.", pollChooseSome: "Choisissez une ou plusieurs réponses.",
      pinnedTitle: "Épinglés par les enseignants", pin: "Épingler", unpin: "Désépingler",
      searchLabel: "Chercher un mot", searchPlaceholder: "Par exemple : rivière, Rhein, exposé", searchButton: "Chercher",
      searchClose: "Fermer les résultats", searchMore: "Voir plus de résultats", searching: "On cherche « {q} »…",
      searchFound: "Ce qu'on a trouvé pour « {q} »",
      searchNothing: "Rien trouvé pour « {q} ». Essayez un autre mot, ou moins de mots.",
      searchOpen: "Ouvrir", searchBy: "par {name}",
      kind_message: "Message du chat", kind_thread: "Sujet du forum", kind_post: "Réponse du forum", kind_mail: "Courriel",
      kind_file: "Fichier",
      whereRoom: "dans le salon « {name} »", whereForum: "dans le forum, sujet « {title} »",
      whereMail: "dans vos courriels : « {title} »", whereFile: "fichier « {title} »", whereSomewhere: "dans ce projet",
      searchGone: "Ce message n'est plus dans le salon.",
    },
    de: {
      skip: "Zum Inhalt springen",
      title: "Twinspace-Demo",
      language: "Sprache",
      switchUser: "Person wechseln",
      loginTitle: "Wer bist du heute?",
      loginIntro: "Diese Seite tut so, als wäre sie ein Schulportal: Wähle eine Person aus dem Demo-Projekt und nutze Twinspace so "
        + "wie sie. Öffne ein zweites Fenster als jemand anderes, dann siehst du die Nachrichten live ankommen.",
      loginAs: "Weiter als {name}",
      role_teacher: "Lehrkraft", role_pupil: "Schülerin/Schüler", role_visitor: "Gast", role_support: "Support-Team",
      signedInAs: "Angemeldet als {name} ({role}, {country})",
      sections: "Bereiche von Twinspace",
      chat: "Chat", forum: "Forum", mail: "Mail",
      rooms: "Räume", online: "Online", you: "du",
      noRooms: "In diesem Projekt ist kein Chatraum für dich offen.",
      visitorHint: "Gäste lesen die Bereiche, die eine Lehrkraft für Gäste öffnet; dieses Demo-Projekt hat noch keine. "
        + "Mails aus dem Projekt bekommst du trotzdem.",
      older: "Ältere Nachrichten anzeigen", noMessages: "Noch keine Nachrichten: Sag Hallo!",
      messageLabel: "Nachricht", messagePlaceholder: "Schreib eine Nachricht…",
      attach: "Datei anhängen", send: "Senden", cancel: "Abbrechen", reply: "Antworten",
      replyingTo: "Du antwortest {name}: {text}",
      inReplyTo: "Antwort an {name}: {text}",
      deletedMessage: "Nachricht gelöscht",
      edited: "bearbeitet",
      typingOne: "{name} schreibt…", typingMany: "{names} schreiben…",
      unreadIn: "{count} ungelesen",
      uploading: "{name} wird hochgeladen…", uploaded: "{name} ist bereit zum Senden.",
      attached: "Angehängt: {name}",
      removeFile: "{name} entfernen",
      download: "{name} herunterladen ({size})",
      threads: "Themen", newThread: "Neues Thema", threadTitle: "Titel", threadBody: "Text",
      publish: "Veröffentlichen", pickThread: "Wähle ein Thema oder starte ein neues.", noThreads: "Noch keine Themen.",
      noForum: "In diesem Projekt ist kein Forum für dich offen.",
      posts: "{count} Antworten", by: "von {name}", replyInThread: "Deine Antwort", postReply: "Antworten",
      locked: "Dieses Thema ist gesperrt.", pinned: "Angeheftet",
      folders: "Ordner", inbox: "Posteingang", sent: "Gesendet", compose: "Mail schreiben", to: "An", subject: "Betreff",
      body: "Text", pickMail: "Wähle eine Mail, um sie zu lesen.", noMail: "Hier sind keine Mails.",
      from: "Von {name}", toNames: "An {names}", mailSent: "Mail gesendet.",
      visitorsNoMail: "Gäste lesen Mails, schicken aber keine.",
      connecting: "Verbindung wird aufgebaut…", connected: "Verbunden", disconnected: "Verbindung verloren; neuer Versuch…",
      sdkMissing: "Das SDK (twinspace.js) ist nicht da: Baue zuerst client-sdk.",
      footer: "Nur Demo-Daten: Wer diesen Server erreicht, kann hier jede Person sein.",
      bytes: "{n} B", kb: "{n} KB", mb: "{n} MB",
      // safeguarding
      moderation: "Moderation", report: "Melden", reportTitle: "Das den Lehrkräften melden",
      reportReason: "Warum?", reportNote: "Möchtest du noch etwas dazu sagen? (freiwillig)",
      reportSerious: "Das ist ernst: auch dem nationalen Support-Team Bescheid geben",
      reportPrivacy: "Die Person, die du meldest, sieht deinen Namen nie.", reportSend: "Meldung abschicken",
      reportWhat: "{kind} von {name}: {text}",
      reason_bullying: "Mobbing oder Drohungen", reason_inappropriate: "Unpassender Inhalt",
      reason_personal_data: "Persönliche Daten geteilt (Adresse, Telefonnummer, Fotos…)", reason_spam: "Spam",
      reason_other: "Etwas anderes",
      reportReceived: "Danke: Deine Meldung ist angekommen. Eine Lehrkraft schaut sie sich bald an.",
      reportHandled: "Deine Meldung ({reason}) wurde bearbeitet: {state}.",
      reportDuplicate: "Das hast du schon gemeldet.",
      state_open: "Offen", state_resolved: "Erledigt", state_dismissed: "Abgelehnt",
      reportQueue: "Meldungen", noReports: "Hier sind keine Meldungen.",
      pickReport: "Wähle eine Meldung, um zu sehen, was gemeldet wurde.",
      reportedBy: "Gemeldet von {name}", reportedAt: "Gemeldet: {when}", automatic: "Vom Wortfilter markiert",
      reportedAuthor: "Geschrieben von {name}", serious: "Ernst", escalated: "An das Support-Team geschickt",
      reporterNote: "Notiz der meldenden Person: {note}", asReported: "So, wie es beim Melden aussah",
      context: "Davor und danach", decidedBy: "{state} von {name}: {note}", actionTaken: "Ausgeführt: {action}",
      hide: "Ausblenden", unhide: "Wieder einblenden", delete: "Löschen", hiddenMessage: "Von einer Lehrkraft ausgeblendet",
      muteFor: "{name} stummschalten für", minutes: "Minuten", mute: "Stummschalten",
      mutedNotice: "{name} ist bis {until} stummgeschaltet.", hiddenNotice: "Ausgeblendet.", deletedNotice: "Gelöscht.",
      decisionNote: "Notiz für die anderen Lehrkräfte", resolve: "Erledigen", dismiss: "Ablehnen",
      cannotHide: "So etwas kann man hier nicht ausblenden.",
      roomRules: "Regeln des Raums",
      readOnlyLabel: "Nur Ankündigungen (Schülerinnen und Schüler lesen, Lehrkräfte schreiben)",
      slowModeLabel: "Langsamer Modus: Sekunden zwischen zwei Nachrichten einer Schülerin oder eines Schülers (0: aus)",
      save: "Speichern", saved: "Gespeichert.",
      safeguardingTitle: "Schutzeinstellungen des Projekts", chatHours: "Chatzeiten",
      hoursOn: "Schülerinnen und Schüler schreiben nur zu diesen Zeiten (Lehrkräfte immer)", hoursStart: "Von",
      hoursEnd: "Bis",
      hoursZone: "Zeitzone", wordFilter: "Wortfilter", filter_off: "Aus", filter_block: "Die Nachricht blockieren",
      filter_flag: "Senden und den Lehrkräften melden", customWords: "Eigene Wörter, eins pro Zeile",
      allowedWords: "Alltagswörter, die nicht gefiltert werden sollen, eins pro Zeile",
      mailPolicy: "Mails der Schülerinnen und Schüler",
      policy_teachers_only: "Schülerinnen und Schüler schreiben nur Lehrkräften Mails",
      policy_supervised: "Schülerinnen und Schüler schreiben Projektmitgliedern Mails; Lehrkräfte lesen mit",
      write_muted: "Du bist bis {until} stummgeschaltet: Du kannst lesen, aber nicht schreiben.",
      write_read_only: "Nur Ankündigungen: In diesem Raum schreiben nur Lehrkräfte.",
      write_slow_mode: "Langsamer Modus: Warte {secs} s bis zu deiner nächsten Nachricht.",
      write_slow_on: "Langsamer Modus ist an: eine Nachricht alle {secs} s.",
      write_closed: "Der Chat ist gerade geschlossen. Er öffnet wieder: {when}.",
      write_closed_soon: "Der Chat ist gerade geschlossen.",
      write_denied: "Du kannst diesen Raum lesen, aber nicht darin schreiben.",
      staffReadOnly: "Nur Ankündigungen: Schülerinnen und Schüler lesen, was Lehrkräfte hier schreiben.",
      auditLog: "Protokoll", auditMore: "Ältere Einträge anzeigen", auditEmpty: "Noch nichts aufgezeichnet.",
      auditEntry: "{actor}: {action} ({target})",
      supervised: "Mails der Schülerinnen und Schüler", fromTo: "Von {from} an {to}",
      showConversation: "Das ganze Gespräch anzeigen",
      conversationTitle: "Das Gespräch", removeMail: "Aus allen Postfächern entfernen", mailRemoved: "Die Mail wurde entfernt.",
      // privacy
      exportMine: "Meine Daten exportieren", exporting: "Der Export wird vorbereitet…",
      exported: "Export gespeichert: {name} ({size}).",
      membersTitle: "Projektmitglieder und ihre Daten",
      membersIntro: "Exportiere alles, was Twinspace über ein Mitglied speichert (als ZIP), oder lösche ein Mitglied, "
        + "das geht: Was es geschrieben und geteilt hat, verschwindet; was andere geschrieben haben, bleibt.",
      memberExport: "Daten exportieren", memberExportLabel: "Daten von {name} exportieren",
      memberErase: "Diese Person löschen", memberEraseLabel: "{name} löschen", noMembers: "Keine Mitglieder.",
      retentionTitle: "Projekteinstellungen: Wie lange wird etwas aufbewahrt?",
      retentionIntro: "In Tagen, von 1 bis 3.650. Lass ein Feld leer, um diese Art von Inhalten bis zum "
        + "Projektende aufzubewahren; ist das Projekt archiviert, werden sie nach seiner Schonfrist gelöscht.",
      retentionChat: "Chatnachrichten", retentionForum: "Forumsthemen und Antworten", retentionMail: "Mails",
      retentionFiles: "Dateien, die nie an eine Nachricht, eine Antwort oder eine Mail angehängt wurden (eine angehängte "
        + "Datei geht zusammen mit ihrem Beitrag)",
      retentionKept: "Bis zum Projektende aufbewahrt",
      retentionHeld: "Vom nationalen Support-Team aufbewahrt ({reason}): Solange das gilt, wird nichts gelöscht.",
      retentionDeleteAfter: "Archiviert: Alles wird am {when} gelöscht.",
      eraseTitle: "{name} löschen?", eraseWhat: "Das verschwindet für immer aus allen Speichern der Plattform:",
      eraseStays: "Was andere geschrieben haben, bleibt; der Name der Person wird dort zu „ehemaliges Mitglied“. Ihr "
        + "Zugang zu diesem Projekt endet sofort. Die Löschung wird im Protokoll vermerkt, ohne den gelöschten Inhalt.",
      eraseExpires: "Diese Bestätigung gilt bis {when}.",
      eraseUnderstood: "Ich verstehe, dass alles, was {name} hier geschrieben und geteilt hat, für immer gelöscht wird "
        + "und dass man das nicht rückgängig machen kann.",
      eraseConfirm: "Für immer löschen", eraseNothing: "Nichts geschrieben oder geteilt: nur das Profil und die Mitgliedschaft.",
      erasedNotice: "{name} wurde aus dem Projekt gelöscht.",
      youWereErased: "Deine Daten in diesem Projekt wurden gelöscht: Du hast keinen Zugang mehr dazu.",
      summary_messages: "{n} Chatnachrichten", summary_posts: "{n} Antworten im Forum", summary_threads: "{n} Forumsthemen",
      summary_mails: "{n} gesendete Mails (bei allen Empfängern geleert)", summary_mail_copies: "{n} Mails im eigenen Postfach",
      summary_files: "{n} Dateien",
      summary_reports: "{n} Meldungen: der Anteil der Person daran (was sie geschrieben hat, ihr Name, ihre Notizen)",
      summary_other: "{kind}: {n}",
      // classroom chat: seen by, reactions, mentions, polls, pins
      seenBy: "Gesehen von {count}", seenByWho: "Gesehen von {count}: anzeigen, wer", seenByNobody: "Noch niemand hat sie gelesen.",
      seenByList: "Wer diese Nachricht gelesen hat",
      reactionsLabel: "Reaktionen", reactionAdd: "Reaktion hinzufügen", reactionPick: "Wähle eine Reaktion",
      reactionCount: "{emoji} {count}: Drück hier, um deine hinzuzufügen",
      reactionMine: "{emoji} {count}: Das ist deine, drück hier, um sie zurückzunehmen",
      reactWith: "Mit {emoji} reagieren",
      teachersHandle: "Lehrkräfte", mentionTeachers: "Alle Lehrkräfte des Projekts",
      mentionPick: "Personen, die du erwähnen kannst",
      mentionsYou: "Diese Nachricht erwähnt dich",
      mentionsOne: "1 Nachricht erwähnt dich", mentionsMany: "{count} Nachrichten erwähnen dich",
      newPoll: "Neue Umfrage", pollQuestion: "Frage", pollOptions: "Antworten, eine pro Zeile (2 bis 10)",
      pollMultiple: "Jede Person darf mehr als eine Antwort wählen",
      pollAnonymous: "Anonym: Niemand, auch keine Lehrkraft, sieht, wer was gewählt hat",
      pollClosesAt: "Abstimmung endet um (freiwillig)", pollCreate: "Den Raum fragen",
      pollCreated: "Deine Umfrage ist im Raum.",
      pollLabel: "Umfrage", pollVote: "Abstimmen", pollChange: "Meine Stimme ändern", pollVoted: "Deine Stimme wurde gezählt.",
      votesOne: "1 Stimme", votesMany: "{count} Stimmen", votersNone: "Noch hat niemand abgestimmt.",
      votersOne: "1 Person hat abgestimmt", votersMany: "{count} Personen haben abgestimmt",
      pollYours: "deine Wahl", pollClosed: "Die Abstimmung ist vorbei.", pollCloses: "Die Abstimmung endet: {when}.",
      pollAnonymousNote: "Anonyme Umfrage: Niemand sieht, wer was gewählt hat.",
      pollClose: "Abstimmung beenden", pollSeeVoters: "Sehen, wer abgestimmt hat", pollNoVoters: "niemand",
      pollChooseOne: "Wähle eine Antwort.", pollChooseSome: "Wähle eine oder mehrere Antworten.",
      pinnedTitle: "Von den Lehrkräften angeheftet", pin: "Anheften", unpin: "Nicht mehr anheften",
      searchLabel: "Nach einem Wort suchen", searchPlaceholder: "Zum Beispiel: Fluss, Rhein, exposé", searchButton: "Suchen",
      searchClose: "Ergebnisse schließen", searchMore: "Mehr Ergebnisse anzeigen", searching: "Suche nach „{q}“…",
      searchFound: "Das haben wir für „{q}“ gefunden",
      searchNothing: "Nichts gefunden für „{q}“. Versuch es mit einem anderen Wort oder mit weniger Wörtern.",
      searchOpen: "Öffnen", searchBy: "von {name}",
      kind_message: "Chatnachricht", kind_thread: "Forumsthema", kind_post: "Antwort im Forum", kind_mail: "Mail",
      kind_file: "Datei",
      whereRoom: "im Raum „{name}“", whereForum: "im Forum, Thema „{title}“", whereMail: "in deinen Mails: „{title}“",
      whereFile: "Datei „{title}“", whereSomewhere: "in diesem Projekt",
      searchGone: "Diese Nachricht ist nicht mehr im Raum.",
    },
    it: {
      skip: "Vai al contenuto",
      title: "Demo di Twinspace",
      language: "Lingua",
      switchUser: "Cambia persona",
      loginTitle: "Chi sei oggi?",
      loginIntro: "Questa pagina fa la parte di un portale scolastico: scegli una persona del progetto demo e usa "
        + "Twinspace come farebbe lei. Apri una seconda finestra come un'altra persona per vedere i messaggi arrivare "
        + "in diretta.",
      loginAs: "Continua come {name}",
      role_teacher: "Insegnante", role_pupil: "Alunna/alunno", role_visitor: "Ospite", role_support: "Servizio di supporto",
      signedInAs: "Accesso come {name} ({role}, {country})",
      sections: "Sezioni di Twinspace",
      chat: "Chat", forum: "Forum", mail: "Posta",
      rooms: "Stanze", online: "Online", you: "tu",
      noRooms: "In questo progetto non c'è nessuna stanza della chat aperta per te.",
      visitorHint: "Gli ospiti leggono gli spazi che un insegnante apre agli ospiti; questo progetto demo non ne ha ancora. "
        + "Le mail del progetto ti arrivano comunque.",
      older: "Mostra i messaggi precedenti", noMessages: "Ancora nessun messaggio: saluta!",
      messageLabel: "Messaggio", messagePlaceholder: "Scrivi un messaggio…",
      attach: "Allega un file", send: "Invia", cancel: "Annulla", reply: "Rispondi",
      replyingTo: "Stai rispondendo a {name}: {text}",
      inReplyTo: "In risposta a {name}: {text}",
      deletedMessage: "Messaggio eliminato",
      edited: "modificato",
      typingOne: "{name} sta scrivendo…", typingMany: "{names} stanno scrivendo…",
      unreadIn: "{count} da leggere",
      uploading: "Caricamento di {name}…", uploaded: "{name} è pronto per l'invio.",
      attached: "Allegato: {name}",
      removeFile: "Togli {name}",
      download: "Scarica {name} ({size})",
      threads: "Discussioni", newThread: "Apri una discussione", threadTitle: "Titolo", threadBody: "Testo",
      publish: "Pubblica", pickThread: "Scegli una discussione, o aprine una.", noThreads: "Ancora nessuna discussione.",
      noForum: "In questo progetto non c'è nessun forum aperto per te.",
      posts: "{count} risposte", by: "di {name}", replyInThread: "La tua risposta", postReply: "Rispondi",
      locked: "Questa discussione è bloccata.", pinned: "Fissata",
      folders: "Cartelle", inbox: "Posta in arrivo", sent: "Inviate", compose: "Scrivi una mail", to: "A",
      subject: "Oggetto", body: "Testo", pickMail: "Scegli una mail per leggerla.", noMail: "Nessuna mail qui.",
      from: "Da {name}", toNames: "A {names}", mailSent: "Mail inviata.",
      visitorsNoMail: "Gli ospiti leggono le mail ma non ne inviano.",
      connecting: "Connessione in corso…", connected: "Connessione attiva", disconnected: "Connessione persa; nuovo tentativo…",
      sdkMissing: "L'SDK (twinspace.js) non è disponibile: prima compila client-sdk.",
      footer: "Solo dati di prova: chiunque raggiunga questo server può essere chiunque qui.",
      bytes: "{n} B", kb: "{n} KB", mb: "{n} MB",
      // safeguarding
      moderation: "Moderazione", report: "Segnala", reportTitle: "Segnala questo agli insegnanti",
      reportReason: "Perché?", reportNote: "Vuoi aggiungere qualcosa? (facoltativo)",
      reportSerious: "È una cosa grave: avvisa anche il servizio nazionale di supporto",
      reportPrivacy: "La persona che segnali non vede mai il tuo nome.", reportSend: "Invia la segnalazione",
      reportWhat: "{kind} di {name}: {text}",
      reason_bullying: "Bullismo o minacce", reason_inappropriate: "Contenuto inadatto",
      reason_personal_data: "Dati personali condivisi (indirizzo, telefono, foto…)", reason_spam: "Spam",
      reason_other: "Altro",
      reportReceived: "Grazie: abbiamo ricevuto la tua segnalazione. Presto un insegnante la guarderà.",
      reportHandled: "La tua segnalazione ({reason}) è stata gestita: {state}.",
      reportDuplicate: "Hai già segnalato questo contenuto.",
      state_open: "Aperta", state_resolved: "Risolta", state_dismissed: "Respinta",
      reportQueue: "Segnalazioni", noReports: "Nessuna segnalazione qui.",
      pickReport: "Scegli una segnalazione per vedere che cosa è stato segnalato.",
      reportedBy: "Segnalato da {name}", reportedAt: "Segnalato: {when}", automatic: "Segnalato dal filtro di parole",
      reportedAuthor: "Scritto da {name}", serious: "Grave", escalated: "Inviata al servizio di supporto",
      reporterNote: "Nota di chi ha segnalato: {note}", asReported: "Com'era al momento della segnalazione",
      context: "Prima e dopo", decidedBy: "{state} da {name}: {note}", actionTaken: "Fatto: {action}",
      hide: "Nascondi", unhide: "Mostra di nuovo", delete: "Elimina", hiddenMessage: "Nascosto da un insegnante",
      muteFor: "Silenzia {name} per", minutes: "minuti", mute: "Silenzia",
      mutedNotice: "{name} non può scrivere fino a {until}.", hiddenNotice: "Nascosto.", deletedNotice: "Eliminato.",
      decisionNote: "Nota per gli altri insegnanti", resolve: "Risolvi", dismiss: "Respingi",
      cannotHide: "Questo tipo di contenuto non si può nascondere da qui.",
      roomRules: "Regole della stanza", readOnlyLabel: "Solo annunci (gli alunni leggono, gli insegnanti scrivono)",
      slowModeLabel: "Modalità lenta: secondi tra due messaggi di un alunno (0: disattivata)", save: "Salva",
      saved: "Salvato.",
      safeguardingTitle: "Impostazioni di tutela del progetto", chatHours: "Orari della chat",
      hoursOn: "Gli alunni scrivono solo in questi orari (gli insegnanti sempre)", hoursStart: "Dalle",
      hoursEnd: "Alle",
      hoursZone: "Fuso orario", wordFilter: "Filtro di parole", filter_off: "Disattivato",
      filter_block: "Blocca il messaggio",
      filter_flag: "Invialo e segnalalo agli insegnanti", customWords: "Le tue parole, una per riga",
      allowedWords: "Parole di tutti i giorni da non filtrare, una per riga",
      mailPolicy: "Posta degli alunni", policy_teachers_only: "Gli alunni scrivono mail solo agli insegnanti",
      policy_supervised: "Gli alunni scrivono mail ai membri del progetto; gli insegnanti le leggono",
      write_muted: "Non puoi scrivere fino a {until}: puoi leggere, ma non scrivere.",
      write_read_only: "Solo annunci: in questa stanza scrivono solo gli insegnanti.",
      write_slow_mode: "Modalità lenta: aspetta {secs} s prima del prossimo messaggio.",
      write_slow_on: "La modalità lenta è attiva: un messaggio ogni {secs} s.",
      write_closed: "Ora la chat è chiusa. Riapre: {when}.",
      write_closed_soon: "Ora la chat è chiusa.",
      write_denied: "Puoi leggere questa stanza, ma non scriverci.",
      staffReadOnly: "Solo annunci: gli alunni leggono quello che gli insegnanti scrivono qui.",
      auditLog: "Registro delle attività", auditMore: "Mostra le voci precedenti", auditEmpty: "Ancora niente di registrato.",
      auditEntry: "{actor}: {action} ({target})",
      supervised: "Posta degli alunni", fromTo: "Da {from} a {to}", showConversation: "Mostra tutta la conversazione",
      conversationTitle: "La conversazione", removeMail: "Togli da tutte le caselle di posta",
      mailRemoved: "La mail è stata tolta.",
      // privacy
      exportMine: "Esporta i miei dati", exporting: "Preparazione dell'esportazione…",
      exported: "Esportazione salvata: {name} ({size}).",
      membersTitle: "Membri del progetto e i loro dati",
      membersIntro: "Esporta tutto quello che Twinspace conserva su un membro (un file ZIP), o cancella un membro che "
        + "lascia il progetto: quello che ha scritto e condiviso sparisce, quello che hanno scritto gli altri resta.",
      memberExport: "Esporta i dati", memberExportLabel: "Esporta i dati di {name}",
      memberErase: "Cancella questa persona", memberEraseLabel: "Cancella {name}", noMembers: "Nessun membro.",
      retentionTitle: "Impostazioni del progetto: per quanto tempo si conservano le cose",
      retentionIntro: "In giorni, da 1 a 3.650. Lascia vuoto un periodo per conservare quel tipo di contenuto fino alla fine "
        + "del progetto; quando il progetto è archiviato, viene cancellato dopo il suo periodo di tolleranza.",
      retentionChat: "Messaggi della chat", retentionForum: "Discussioni e risposte del forum", retentionMail: "Mail",
      retentionFiles: "File mai allegati a un messaggio, a una risposta o a una mail (un file allegato segue il suo "
        + "contenuto)",
      retentionKept: "Conservato fino alla fine del progetto",
      retentionHeld: "Trattenuto dal servizio nazionale di supporto ({reason}): finché resta trattenuto, non viene "
        + "cancellato.",
      retentionDeleteAfter: "Archiviato: tutto sarà cancellato il {when}.",
      eraseTitle: "Cancellare {name}?", eraseWhat: "Questo sparirà per sempre da tutti gli archivi della piattaforma:",
      eraseStays: "Quello che hanno scritto gli altri resta; lì il nome della persona diventa «ex membro». Il suo accesso "
        + "a questo progetto finisce subito. La cancellazione viene annotata nel registro delle attività, senza il "
        + "contenuto cancellato.",
      eraseExpires: "Questa conferma vale fino a {when}.",
      eraseUnderstood: "Ho capito che tutto quello che {name} ha scritto e condiviso qui viene cancellato per sempre, e "
        + "che non si può tornare indietro.",
      eraseConfirm: "Cancella per sempre", eraseNothing: "Niente di scritto o condiviso: solo il profilo e l'iscrizione.",
      erasedNotice: "I dati di {name} sono stati cancellati dal progetto.",
      youWereErased: "I tuoi dati in questo progetto sono stati cancellati: non hai più accesso al progetto.",
      summary_messages: "{n} messaggi della chat", summary_posts: "{n} risposte del forum",
      summary_threads: "{n} discussioni del forum",
      summary_mails: "{n} mail inviate (svuotate per ogni destinatario)", summary_mail_copies: "{n} mail nella sua casella",
      summary_files: "{n} file",
      summary_reports: "{n} segnalazioni: la sua parte (quello che ha scritto, il suo nome, le sue note)",
      summary_other: "{kind}: {n}",
      // classroom chat: seen by, reactions, mentions, polls, pins
      seenBy: "Visto da {count}", seenByWho: "Visto da {count}: vedi chi", seenByNobody: "Nessuno l'ha ancora letto.",
      seenByList: "Chi ha letto questo messaggio",
      reactionsLabel: "Reazioni", reactionAdd: "Aggiungi una reazione", reactionPick: "Scegli una reazione",
      reactionCount: "{emoji} {count}: premi per aggiungere la tua",
      reactionMine: "{emoji} {count}: l'hai scelta tu, premi per toglierla",
      reactWith: "Reagisci con {emoji}",
      teachersHandle: "insegnanti", mentionTeachers: "Tutti gli insegnanti del progetto",
      mentionPick: "Persone che puoi menzionare",
      mentionsYou: "Questo messaggio ti menziona",
      mentionsOne: "1 messaggio ti menziona", mentionsMany: "{count} messaggi ti menzionano",
      newPoll: "Nuovo sondaggio", pollQuestion: "Domanda", pollOptions: "Risposte, una per riga (da 2 a 10)",
      pollMultiple: "Ognuno può scegliere più di una risposta",
      pollAnonymous: "Anonimo: nessuno, nemmeno gli insegnanti, vede chi ha scelto cosa",
      pollClosesAt: "Il voto finisce alle (facoltativo)", pollCreate: "Chiedi alla stanza",
      pollCreated: "Il tuo sondaggio è nella stanza.",
      pollLabel: "Sondaggio", pollVote: "Vota", pollChange: "Cambia il mio voto", pollVoted: "Il tuo voto è stato contato.",
      votesOne: "1 voto", votesMany: "{count} voti", votersNone: "Nessuno ha ancora votato.",
      votersOne: "Ha votato 1 persona", votersMany: "Hanno votato {count} persone",
      pollYours: "la tua scelta", pollClosed: "Il voto è finito.", pollCloses: "Il voto finisce: {when}.",
      pollAnonymousNote: "Sondaggio anonimo: nessuno vede chi ha scelto cosa.",
      pollClose: "Chiudi il voto", pollSeeVoters: "Vedi chi ha votato", pollNoVoters: "nessuno",
      pollChooseOne: "Scegli una risposta.", pollChooseSome: "Scegli una o più risposte.",
      pinnedTitle: "Fissati dagli insegnanti", pin: "Fissa", unpin: "Non fissare più",
      searchLabel: "Cerca una parola", searchPlaceholder: "Per esempio: fiume, Rhein, exposé", searchButton: "Cerca",
      searchClose: "Chiudi i risultati", searchMore: "Mostra altri risultati", searching: "Sto cercando «{q}»…",
      searchFound: "Ecco cosa abbiamo trovato per «{q}»",
      searchNothing: "Niente trovato per «{q}». Prova un'altra parola, o meno parole.",
      searchOpen: "Apri", searchBy: "di {name}",
      kind_message: "Messaggio della chat", kind_thread: "Discussione del forum", kind_post: "Risposta del forum",
      kind_mail: "Mail", kind_file: "File",
      whereRoom: "nella stanza «{name}»", whereForum: "nel forum, discussione «{title}»",
      whereMail: "nella tua posta: «{title}»", whereFile: "file «{title}»", whereSomewhere: "in questo progetto",
      searchGone: "Questo messaggio non è più nella stanza.",
    },
    es: {
      skip: "Ir al contenido",
      title: "Demo de Twinspace",
      language: "Idioma",
      switchUser: "Cambiar de persona",
      loginTitle: "¿Quién eres hoy?",
      loginIntro: "Esta página hace de portal escolar: elige a una persona del proyecto de demostración y usa Twinspace "
        + "como lo haría ella. Abre una segunda ventana como otra persona para ver llegar los mensajes en directo.",
      loginAs: "Continuar como {name}",
      role_teacher: "Docente", role_pupil: "Alumna/alumno", role_visitor: "Visitante", role_support: "Servicio de apoyo",
      signedInAs: "Sesión iniciada como {name} ({role}, {country})",
      sections: "Secciones de Twinspace",
      chat: "Chat", forum: "Foro", mail: "Correo",
      rooms: "Salas", online: "En línea", you: "tú",
      noRooms: "En este proyecto no tienes ninguna sala de chat abierta.",
      visitorHint: "Los visitantes leen los espacios que un docente abre a los visitantes; este proyecto de demostración "
        + "todavía no tiene ninguno. Aun así, te siguen llegando los correos del proyecto.",
      older: "Ver mensajes anteriores", noMessages: "Todavía no hay mensajes: ¡saluda!",
      messageLabel: "Mensaje", messagePlaceholder: "Escribe un mensaje…",
      attach: "Adjuntar un archivo", send: "Enviar", cancel: "Cancelar", reply: "Responder",
      replyingTo: "Respondes a {name}: {text}",
      inReplyTo: "En respuesta a {name}: {text}",
      deletedMessage: "Mensaje borrado",
      edited: "editado",
      typingOne: "{name} está escribiendo…", typingMany: "{names} están escribiendo…",
      unreadIn: "{count} sin leer",
      uploading: "Subiendo {name}…", uploaded: "{name} está listo para enviar.",
      attached: "Adjunto: {name}",
      removeFile: "Quitar {name}",
      download: "Descargar {name} ({size})",
      threads: "Temas", newThread: "Abrir un tema", threadTitle: "Título", threadBody: "Texto",
      publish: "Publicar", pickThread: "Elige un tema o abre uno nuevo.", noThreads: "Todavía no hay temas.",
      noForum: "En este proyecto no tienes ningún foro abierto.",
      posts: "{count} respuestas", by: "de {name}", replyInThread: "Tu respuesta", postReply: "Responder",
      locked: "Este tema está cerrado.", pinned: "Fijado",
      folders: "Carpetas", inbox: "Recibidos", sent: "Enviados", compose: "Escribir un correo", to: "Para",
      subject: "Asunto", body: "Texto", pickMail: "Elige un correo para leerlo.", noMail: "Aquí no hay correos.",
      from: "De {name}", toNames: "Para {names}", mailSent: "Correo enviado.",
      visitorsNoMail: "Los visitantes leen los correos, pero no los envían.",
      connecting: "Conectando…", connected: "Conectado", disconnected: "Se ha perdido la conexión; reconectando…",
      sdkMissing: "El SDK (twinspace.js) no está disponible: primero compila client-sdk.",
      footer: "Solo datos de prueba: cualquiera que llegue a este servidor puede ser aquí cualquier persona.",
      bytes: "{n} B", kb: "{n} KB", mb: "{n} MB",
      // safeguarding
      moderation: "Moderación", report: "Avisar", reportTitle: "Avisar de esto a los docentes",
      reportReason: "¿Por qué?", reportNote: "¿Quieres añadir algo? (opcional)",
      reportSerious: "Es grave: avisar también al servicio nacional de apoyo",
      reportPrivacy: "La persona de la que avisas nunca ve tu nombre.", reportSend: "Enviar el aviso",
      reportWhat: "{kind} de {name}: {text}",
      reason_bullying: "Acoso o amenazas", reason_inappropriate: "Contenido inadecuado",
      reason_personal_data: "Datos personales compartidos (dirección, teléfono, fotos…)", reason_spam: "Spam",
      reason_other: "Otra cosa",
      reportReceived: "Gracias: hemos recibido tu aviso. Un docente lo revisará pronto.",
      reportHandled: "Tu aviso ({reason}) se ha tramitado: {state}.",
      reportDuplicate: "Ya has avisado de esto.",
      state_open: "Abierto", state_resolved: "Resuelto", state_dismissed: "Descartado",
      reportQueue: "Avisos", noReports: "Aquí no hay avisos.", pickReport: "Elige un aviso para ver de qué se ha avisado.",
      reportedBy: "Aviso de {name}", reportedAt: "Aviso: {when}", automatic: "Marcado por el filtro de palabras",
      reportedAuthor: "Escrito por {name}", serious: "Grave", escalated: "Enviado al servicio de apoyo",
      reporterNote: "Nota de quien avisa: {note}", asReported: "Tal como estaba al avisar",
      context: "Antes y después", decidedBy: "{state} por {name}: {note}", actionTaken: "Hecho: {action}",
      hide: "Ocultar", unhide: "Volver a mostrar", delete: "Borrar", hiddenMessage: "Ocultado por un docente",
      muteFor: "Silenciar a {name} durante", minutes: "minutos", mute: "Silenciar",
      mutedNotice: "{name} no puede escribir hasta {until}.", hiddenNotice: "Ocultado.", deletedNotice: "Borrado.",
      decisionNote: "Nota para los demás docentes", resolve: "Resolver", dismiss: "Descartar",
      cannotHide: "Este tipo de contenido no se puede ocultar desde aquí.",
      roomRules: "Normas de la sala", readOnlyLabel: "Solo anuncios (el alumnado lee, los docentes escriben)",
      slowModeLabel: "Modo lento: segundos entre dos mensajes de un alumno o alumna (0: desactivado)", save: "Guardar",
      saved: "Guardado.",
      safeguardingTitle: "Ajustes de protección del proyecto", chatHours: "Horario del chat",
      hoursOn: "El alumnado solo escribe en este horario (los docentes, siempre)", hoursStart: "Desde",
      hoursEnd: "Hasta",
      hoursZone: "Zona horaria", wordFilter: "Filtro de palabras", filter_off: "Desactivado",
      filter_block: "Bloquear el mensaje",
      filter_flag: "Enviarlo y avisar a los docentes", customWords: "Tus propias palabras, una por línea",
      allowedWords: "Palabras de todos los días que no se deben filtrar, una por línea",
      mailPolicy: "Correo del alumnado", policy_teachers_only: "El alumnado solo escribe correos a los docentes",
      policy_supervised: "El alumnado escribe correos a los miembros del proyecto; los docentes los leen",
      write_muted: "No puedes escribir hasta {until}: puedes leer, pero no escribir.",
      write_read_only: "Solo anuncios: en esta sala solo escriben los docentes.",
      write_slow_mode: "Modo lento: espera {secs} s antes de tu próximo mensaje.",
      write_slow_on: "El modo lento está activado: un mensaje cada {secs} s.",
      write_closed: "Ahora el chat está cerrado. Vuelve a abrir: {when}.",
      write_closed_soon: "Ahora el chat está cerrado.",
      write_denied: "Puedes leer esta sala, pero no escribir en ella.",
      staffReadOnly: "Solo anuncios: el alumnado lee lo que los docentes escriben aquí.",
      auditLog: "Registro de actividad", auditMore: "Ver entradas anteriores", auditEmpty: "Todavía no hay nada registrado.",
      auditEntry: "{actor}: {action} ({target})",
      supervised: "Correo del alumnado", fromTo: "De {from} para {to}", showConversation: "Ver toda la conversación",
      conversationTitle: "La conversación", removeMail: "Quitar de todos los buzones", mailRemoved: "Se ha quitado el correo.",
      // privacy
      exportMine: "Exportar mis datos", exporting: "Preparando la exportación…",
      exported: "Exportación guardada: {name} ({size}).",
      membersTitle: "Miembros del proyecto y sus datos",
      membersIntro: "Exporta todo lo que Twinspace guarda sobre un miembro (un archivo ZIP) o borra a un miembro que se "
        + "va: lo que escribió y compartió desaparece; lo que escribieron los demás se queda.",
      memberExport: "Exportar los datos", memberExportLabel: "Exportar los datos de {name}",
      memberErase: "Borrar a esta persona", memberEraseLabel: "Borrar a {name}", noMembers: "No hay miembros.",
      retentionTitle: "Ajustes del proyecto: cuánto tiempo se guarda cada cosa",
      retentionIntro: "En días, de 1 a 3650. Deja un periodo vacío para guardar ese tipo de contenido hasta que termine el "
        + "proyecto; cuando el proyecto se archiva, se borra después de su plazo de gracia.",
      retentionChat: "Mensajes del chat", retentionForum: "Temas y respuestas del foro", retentionMail: "Correo",
      retentionFiles: "Archivos que nunca se adjuntaron a un mensaje, una respuesta o un correo (un archivo adjunto va "
        + "con su contenido)",
      retentionKept: "Se guarda hasta que termine el proyecto",
      retentionHeld: "Retenido por el servicio nacional de apoyo ({reason}): mientras siga retenido, no se borrará.",
      retentionDeleteAfter: "Archivado: todo se borrará el {when}.",
      eraseTitle: "¿Borrar a {name}?", eraseWhat: "Esto desaparecerá para siempre de todos los almacenes de la plataforma:",
      eraseStays: "Lo que escribieron los demás se queda; allí el nombre de la persona pasa a ser «antiguo miembro». Su "
        + "acceso a este proyecto termina en el acto. El borrado queda anotado en el registro de actividad, sin el "
        + "contenido borrado.",
      eraseExpires: "Esta confirmación es válida hasta {when}.",
      eraseUnderstood: "Entiendo que todo lo que {name} escribió y compartió aquí se borra para siempre y que no se puede "
        + "deshacer.",
      eraseConfirm: "Borrar para siempre", eraseNothing: "Nada escrito ni compartido: solo su perfil y su participación.",
      erasedNotice: "Se han borrado del proyecto los datos de {name}.",
      youWereErased: "Se han borrado tus datos de este proyecto: ya no tienes acceso a él.",
      summary_messages: "{n} mensajes del chat", summary_posts: "{n} respuestas del foro", summary_threads: "{n} temas del foro",
      summary_mails: "{n} correos enviados (vaciados para cada destinatario)",
      summary_mail_copies: "{n} correos en su buzón",
      summary_files: "{n} archivos",
      summary_reports: "{n} avisos: su parte (lo que escribió, su nombre, sus notas)",
      summary_other: "{kind}: {n}",
      // classroom chat: seen by, reactions, mentions, polls, pins
      seenBy: "Visto por {count}", seenByWho: "Visto por {count}: ver quién", seenByNobody: "Todavía nadie lo ha leído.",
      seenByList: "Quién ha leído este mensaje",
      reactionsLabel: "Reacciones", reactionAdd: "Añadir una reacción", reactionPick: "Elegir una reacción",
      reactionCount: "{emoji} {count}: pulsa para añadir la tuya",
      reactionMine: "{emoji} {count}: la has elegido tú, pulsa para quitarla",
      reactWith: "Reaccionar con {emoji}",
      teachersHandle: "docentes", mentionTeachers: "Todos los docentes del proyecto",
      mentionPick: "Personas que puedes mencionar",
      mentionsYou: "Este mensaje te menciona",
      mentionsOne: "1 mensaje te menciona", mentionsMany: "{count} mensajes te mencionan",
      newPoll: "Nueva encuesta", pollQuestion: "Pregunta", pollOptions: "Respuestas, una por línea (de 2 a 10)",
      pollMultiple: "Cada persona puede elegir más de una respuesta",
      pollAnonymous: "Anónima: nadie, ni siquiera los docentes, ve quién ha elegido qué",
      pollClosesAt: "La votación termina a las (opcional)", pollCreate: "Preguntar a la sala",
      pollCreated: "Tu encuesta está en la sala.",
      pollLabel: "Encuesta", pollVote: "Votar", pollChange: "Cambiar mi voto", pollVoted: "Tu voto se ha contado.",
      votesOne: "1 voto", votesMany: "{count} votos", votersNone: "Todavía no ha votado nadie.",
      votersOne: "Ha votado 1 persona", votersMany: "Han votado {count} personas",
      pollYours: "tu elección", pollClosed: "La votación ha terminado.", pollCloses: "La votación termina: {when}.",
      pollAnonymousNote: "Encuesta anónima: nadie ve quién ha elegido qué.",
      pollClose: "Terminar la votación", pollSeeVoters: "Ver quién ha votado", pollNoVoters: "nadie",
      pollChooseOne: "Elige una respuesta.", pollChooseSome: "Elige una o varias respuestas.",
      pinnedTitle: "Fijados por los docentes", pin: "Fijar", unpin: "Dejar de fijar",
      searchLabel: "Buscar una palabra", searchPlaceholder: "Por ejemplo: río, Rhein, exposé", searchButton: "Buscar",
      searchClose: "Cerrar los resultados", searchMore: "Ver más resultados", searching: "Buscando «{q}»…",
      searchFound: "Esto es lo que hemos encontrado para «{q}»",
      searchNothing: "No hemos encontrado nada para «{q}». Prueba con otra palabra, o con menos palabras.",
      searchOpen: "Abrir", searchBy: "de {name}",
      kind_message: "Mensaje del chat", kind_thread: "Tema del foro", kind_post: "Respuesta del foro", kind_mail: "Correo",
      kind_file: "Archivo",
      whereRoom: "en la sala «{name}»", whereForum: "en el foro, tema «{title}»", whereMail: "en tu correo: «{title}»",
      whereFile: "archivo «{title}»", whereSomewhere: "en este proyecto",
      searchGone: "Este mensaje ya no está en la sala.",
    },
    pl: {
      skip: "Przejdź do treści",
      title: "Demo Twinspace",
      language: "Język",
      switchUser: "Zmień osobę",
      loginTitle: "Kim jesteś dzisiaj?",
      loginIntro: "Ta strona udaje portal szkolny: wybierz osobę z projektu demonstracyjnego i korzystaj z Twinspace tak "
        + "jak ona. Otwórz drugie okno jako ktoś inny, a zobaczysz, jak wiadomości przychodzą na żywo.",
      loginAs: "Kontynuuj jako {name}",
      role_teacher: "Nauczyciel/nauczycielka", role_pupil: "Uczeń/uczennica", role_visitor: "Gość",
      role_support: "Zespół wsparcia",
      signedInAs: "Zalogowano jako {name} ({role}, {country})",
      sections: "Działy Twinspace",
      chat: "Czat", forum: "Forum", mail: "Poczta",
      rooms: "Pokoje", online: "Online", you: "ty",
      noRooms: "W tym projekcie nie masz dostępu do żadnego pokoju czatu.",
      visitorHint: "Goście czytają przestrzenie, które nauczyciel otworzy dla gości; ten projekt demonstracyjny jeszcze "
        + "takich nie ma. E-maile z projektu i tak do ciebie dotrą.",
      older: "Pokaż starsze wiadomości", noMessages: "Nie ma jeszcze wiadomości: przywitaj się!",
      messageLabel: "Wiadomość", messagePlaceholder: "Napisz wiadomość…",
      attach: "Załącz plik", send: "Wyślij", cancel: "Anuluj", reply: "Odpowiedz",
      replyingTo: "Odpowiadasz osobie {name}: {text}",
      inReplyTo: "Odpowiedź dla osoby {name}: {text}",
      deletedMessage: "Wiadomość usunięta",
      edited: "edytowano",
      typingOne: "{name} pisze…", typingMany: "{names} piszą…",
      unreadIn: "Nieprzeczytane: {count}",
      uploading: "Wysyłanie pliku {name}…", uploaded: "Plik {name} jest gotowy do wysłania.",
      attached: "Załącznik: {name}",
      removeFile: "Usuń plik {name}",
      download: "Pobierz plik {name} ({size})",
      threads: "Wątki", newThread: "Nowy wątek", threadTitle: "Tytuł", threadBody: "Treść",
      publish: "Opublikuj", pickThread: "Wybierz wątek albo załóż nowy.", noThreads: "Nie ma jeszcze wątków.",
      noForum: "W tym projekcie nie masz dostępu do żadnego forum.",
      posts: "Odpowiedzi: {count}", by: "autor: {name}", replyInThread: "Twoja odpowiedź", postReply: "Odpowiedz",
      locked: "Ten wątek jest zablokowany.", pinned: "Przypięty",
      folders: "Foldery", inbox: "Odebrane", sent: "Wysłane", compose: "Napisz e-mail", to: "Do",
      subject: "Temat", body: "Treść", pickMail: "Wybierz e-mail, aby go przeczytać.", noMail: "Nie ma tu e-maili.",
      from: "Od: {name}", toNames: "Do: {names}", mailSent: "E-mail wysłany.",
      visitorsNoMail: "Goście czytają e-maile, ale ich nie wysyłają.",
      connecting: "Łączenie…", connected: "Połączono", disconnected: "Utracono połączenie; ponowne łączenie…",
      sdkMissing: "SDK (twinspace.js) jest niedostępne: najpierw zbuduj client-sdk.",
      footer: "Tylko dane demonstracyjne: każdy, kto dotrze do tego serwera, może tu być kimkolwiek.",
      bytes: "{n} B", kb: "{n} KB", mb: "{n} MB",
      // safeguarding
      moderation: "Moderacja", report: "Zgłoś", reportTitle: "Zgłoś to nauczycielom",
      reportReason: "Dlaczego?", reportNote: "Chcesz coś dodać? (nieobowiązkowe)",
      reportSerious: "To poważna sprawa: powiadom też krajowy zespół wsparcia",
      reportPrivacy: "Osoba, którą zgłaszasz, nigdy nie zobaczy twojego imienia.", reportSend: "Wyślij zgłoszenie",
      reportWhat: "{kind}, autor: {name}: {text}",
      reason_bullying: "Nękanie lub groźby", reason_inappropriate: "Nieodpowiednie treści",
      reason_personal_data: "Udostępnione dane osobowe (adres, telefon, zdjęcia…)", reason_spam: "Spam",
      reason_other: "Coś innego",
      reportReceived: "Dziękujemy: twoje zgłoszenie dotarło. Nauczyciel wkrótce je sprawdzi.",
      reportHandled: "Twoje zgłoszenie ({reason}) zostało rozpatrzone: {state}.",
      reportDuplicate: "To zostało już przez ciebie zgłoszone.",
      state_open: "Otwarte", state_resolved: "Rozwiązane", state_dismissed: "Odrzucone",
      reportQueue: "Zgłoszenia", noReports: "Nie ma tu zgłoszeń.", pickReport: "Wybierz zgłoszenie, aby zobaczyć, co zgłoszono.",
      reportedBy: "Kto zgłosił: {name}", reportedAt: "Zgłoszono: {when}", automatic: "Oznaczone przez filtr słów",
      reportedAuthor: "Autor: {name}", serious: "Poważne", escalated: "Przekazane do zespołu wsparcia",
      reporterNote: "Notatka osoby zgłaszającej: {note}", asReported: "Tak, jak wyglądało w chwili zgłoszenia",
      context: "Przed i po", decidedBy: "{state} ({name}): {note}", actionTaken: "Wykonano: {action}",
      hide: "Ukryj", unhide: "Pokaż ponownie", delete: "Usuń", hiddenMessage: "Ukryte przez nauczyciela",
      muteFor: "Wycisz osobę {name} na", minutes: "min", mute: "Wycisz",
      mutedNotice: "{name}: wyciszenie do {until}.", hiddenNotice: "Ukryto.", deletedNotice: "Usunięto.",
      decisionNote: "Notatka dla innych nauczycieli", resolve: "Rozwiąż", dismiss: "Odrzuć",
      cannotHide: "Tego rodzaju treści nie można stąd ukryć.",
      roomRules: "Zasady pokoju", readOnlyLabel: "Tylko ogłoszenia (uczniowie czytają, nauczyciele piszą)",
      slowModeLabel: "Tryb powolny: liczba sekund między wiadomościami ucznia (0: wyłączony)", save: "Zapisz",
      saved: "Zapisano.",
      safeguardingTitle: "Ustawienia ochrony uczniów w projekcie", chatHours: "Godziny czatu",
      hoursOn: "Uczniowie piszą tylko w tych godzinach (nauczyciele zawsze)", hoursStart: "Od", hoursEnd: "Do",
      hoursZone: "Strefa czasowa", wordFilter: "Filtr słów", filter_off: "Wyłączony", filter_block: "Zablokuj wiadomość",
      filter_flag: "Wyślij ją i zgłoś nauczycielom", customWords: "Twoje własne słowa, jedno w wierszu",
      allowedWords: "Codzienne słowa, których nie należy filtrować, jedno w wierszu",
      mailPolicy: "Poczta uczniów", policy_teachers_only: "Uczniowie piszą e-maile tylko do nauczycieli",
      policy_supervised: "Uczniowie piszą e-maile do członków projektu; nauczyciele je czytają",
      write_muted: "Masz wyciszenie do {until}: możesz czytać, ale nie możesz pisać.",
      write_read_only: "Tylko ogłoszenia: w tym pokoju piszą tylko nauczyciele.",
      write_slow_mode: "Tryb powolny: poczekaj {secs} s przed następną wiadomością.",
      write_slow_on: "Tryb powolny jest włączony: jedna wiadomość co {secs} s.",
      write_closed: "Czat jest teraz zamknięty. Otworzy się ponownie: {when}.",
      write_closed_soon: "Czat jest teraz zamknięty.",
      write_denied: "Możesz czytać ten pokój, ale nie możesz w nim pisać.",
      staffReadOnly: "Tylko ogłoszenia: uczniowie czytają to, co piszą tu nauczyciele.",
      auditLog: "Dziennik zdarzeń", auditMore: "Pokaż starsze wpisy", auditEmpty: "Nic jeszcze nie zapisano.",
      auditEntry: "{actor}: {action} ({target})",
      supervised: "Poczta uczniów", fromTo: "Od: {from}, do: {to}", showConversation: "Pokaż całą rozmowę",
      conversationTitle: "Rozmowa", removeMail: "Usuń ze wszystkich skrzynek", mailRemoved: "E-mail został usunięty.",
      // privacy
      exportMine: "Eksportuj moje dane", exporting: "Przygotowywanie eksportu…", exported: "Zapisano eksport: {name} ({size}).",
      membersTitle: "Członkowie projektu i ich dane",
      membersIntro: "Wyeksportuj wszystko, co Twinspace przechowuje o członku projektu (plik ZIP), albo usuń członka, "
        + "który odchodzi: to, co napisał i udostępnił, znika; to, co napisali inni, zostaje.",
      memberExport: "Eksportuj dane", memberExportLabel: "Eksportuj dane osoby {name}",
      memberErase: "Usuń tę osobę", memberEraseLabel: "Usuń osobę {name}", noMembers: "Brak członków.",
      retentionTitle: "Ustawienia projektu: jak długo przechowywać treści",
      retentionIntro: "W dniach, od 1 do 3650. Zostaw pole puste, aby przechowywać dany rodzaj treści do końca projektu; "
        + "po zarchiwizowaniu projektu treści są usuwane po upływie okresu karencji.",
      retentionChat: "Wiadomości na czacie", retentionForum: "Wątki i odpowiedzi na forum", retentionMail: "E-maile",
      retentionFiles: "Pliki, które nigdy nie zostały załączone do wiadomości, odpowiedzi ani e-maila (załączony plik "
        + "jest przechowywany tak jak treść, do której go załączono)",
      retentionKept: "Przechowywane do końca projektu",
      retentionHeld: "Zatrzymane przez krajowy zespół wsparcia ({reason}): dopóki zatrzymanie trwa, nic nie zostanie "
        + "usunięte.",
      retentionDeleteAfter: "Zarchiwizowano: wszystko zostanie usunięte {when}.",
      eraseTitle: "Usunąć osobę {name}?", eraseWhat: "To zniknie na zawsze ze wszystkich magazynów danych platformy:",
      eraseStays: "To, co napisali inni, zostaje; imię tej osoby zmienia się tam na „były członek”. Jej dostęp do tego "
        + "projektu kończy się od razu. Usunięcie zostaje zapisane w dzienniku zdarzeń, bez usuniętych treści.",
      eraseExpires: "To potwierdzenie jest ważne do {when}.",
      eraseUnderstood: "Rozumiem, że wszystko, co osoba {name} tu napisała i udostępniła, zostanie usunięte na zawsze i "
        + "nie da się tego cofnąć.",
      eraseConfirm: "Usuń na zawsze", eraseNothing: "Nic nie zostało napisane ani udostępnione: tylko profil i członkostwo.",
      erasedNotice: "Dane osoby {name} zostały usunięte z projektu.",
      youWereErased: "Twoje dane w tym projekcie zostały usunięte: nie masz już do niego dostępu.",
      summary_messages: "Wiadomości na czacie: {n}", summary_posts: "Odpowiedzi na forum: {n}",
      summary_threads: "Wątki na forum: {n}",
      summary_mails: "Wysłane e-maile (opróżnione u każdego odbiorcy): {n}",
      summary_mail_copies: "E-maile w skrzynce tej osoby: {n}",
      summary_files: "Pliki: {n}",
      summary_reports: "Zgłoszenia: {n}, udział tej osoby (co napisała, jej imię, jej notatki)",
      summary_other: "{kind}: {n}",
      // classroom chat: seen by, reactions, mentions, polls, pins
      seenBy: "Przeczytane przez: {count}", seenByWho: "Przeczytane przez: {count}, pokaż, kto",
      seenByNobody: "Nikt jeszcze tego nie przeczytał.",
      seenByList: "Kto przeczytał tę wiadomość",
      reactionsLabel: "Reakcje", reactionAdd: "Dodaj reakcję", reactionPick: "Wybierz reakcję",
      reactionCount: "{emoji} {count}: naciśnij, aby dodać swoją",
      reactionMine: "{emoji} {count}: to twoja reakcja, naciśnij, aby ją cofnąć",
      reactWith: "Zareaguj: {emoji}",
      teachersHandle: "nauczyciele", mentionTeachers: "Wszyscy nauczyciele projektu", mentionPick: "Osoby, o których możesz wspomnieć",
      mentionsYou: "W tej wiadomości jest wzmianka o tobie",
      mentionsOne: "Wiadomości ze wzmianką o tobie: 1", mentionsMany: "Wiadomości ze wzmianką o tobie: {count}",
      newPoll: "Nowa ankieta", pollQuestion: "Pytanie", pollOptions: "Odpowiedzi, jedna w wierszu (od 2 do 10)",
      pollMultiple: "Każdy może wybrać więcej niż jedną odpowiedź",
      pollAnonymous: "Anonimowa: nikt, nawet nauczyciele, nie widzi, kto co wybrał",
      pollClosesAt: "Głosowanie kończy się o (nieobowiązkowe)", pollCreate: "Zapytaj osoby w pokoju",
      pollCreated: "Twoja ankieta jest w pokoju.",
      pollLabel: "Ankieta", pollVote: "Zagłosuj", pollChange: "Zmień mój głos", pollVoted: "Twój głos został policzony.",
      votesOne: "Głosy: 1", votesMany: "Głosy: {count}", votersNone: "Nikt jeszcze nie zagłosował.",
      votersOne: "Liczba głosujących: 1", votersMany: "Liczba głosujących: {count}",
      pollYours: "twój wybór", pollClosed: "Głosowanie się zakończyło.", pollCloses: "Głosowanie kończy się: {when}.",
      pollAnonymousNote: "Ankieta anonimowa: nikt nie widzi, kto co wybrał.",
      pollClose: "Zakończ głosowanie", pollSeeVoters: "Zobacz, kto głosował", pollNoVoters: "nikt",
      pollChooseOne: "Wybierz jedną odpowiedź.", pollChooseSome: "Wybierz jedną lub więcej odpowiedzi.",
      pinnedTitle: "Przypięte przez nauczycieli", pin: "Przypnij", unpin: "Odepnij",
      searchLabel: "Szukaj słowa", searchPlaceholder: "Na przykład: rzeka, Rhein, exposé", searchButton: "Szukaj",
      searchClose: "Zamknij wyniki", searchMore: "Pokaż więcej wyników", searching: "Szukamy „{q}”…",
      searchFound: "Oto, co znaleźliśmy dla „{q}”",
      searchNothing: "Nic nie znaleziono dla „{q}”. Spróbuj innego słowa albo mniejszej liczby słów.",
      searchOpen: "Otwórz", searchBy: "autor: {name}",
      kind_message: "Wiadomość na czacie", kind_thread: "Wątek na forum", kind_post: "Odpowiedź na forum", kind_mail: "E-mail",
      kind_file: "Plik",
      whereRoom: "w pokoju „{name}”", whereForum: "na forum, wątek „{title}”", whereMail: "w twojej poczcie: „{title}”",
      whereFile: "plik „{title}”", whereSomewhere: "w tym projekcie",
      searchGone: "Tej wiadomości nie ma już w pokoju.",
    },
  };
  const LANGS = Object.keys(STRINGS);
  // "@teachers" typed in any of the page's languages calls the project's teachers.
  const TEACHER_HANDLES = new RegExp(
    `(^|\\s)@(${LANGS.map((lang) => STRINGS[lang].teachersHandle).join("|")})(?=$|[\\s.,;:!?])`, "iu");

  // ---- state ------------------------------------------------------------------------------------

  const state = {
    lang: "en",
    session: null, // {url, project_id, rooms, forum_id, token, user}
    client: null,
    project: null,
    members: [],
    rooms: new Map(), // room id -> {space, room, messages: Map(seq -> message), online: Map, typing: Map, unread, hasMore}
    roomId: null,
    replyTo: null, // a message
    pending: [], // uploaded files waiting to be sent: FileRecord
    forum: { threads: [], threadId: null, page: null },
    mail: { folder: "inbox", copies: [], mailId: null, unread: 0 },
    role: null, // one's role in the project: admin, teacher, pupil, visitor
    moderation: freshModeration(),
    reporting: null, // what the report dialog is about: {target, what}
    erasing: null, // the erasure waiting for its confirmation: {member, request}
    retention: null, // the project's retention periods and hold (admins)
    lastTypingSent: 0,
    unsubscribers: [],
    mentionPicks: new Map(), // "@Name" put in the composer -> user id (or "teachers")
    mentionMatches: [], // what the @ list offers now: [{handle, label, userId}]
    search: freshSearch(),
  };

  const $ = (id) => document.getElementById(id);
  const REASONS = ["bullying", "inappropriate", "personal_data", "spam", "other"];

  function freshModeration() {
    // filter: the queue's state shown; open: every open report by id (the tab's badge); done: actions taken on the current report
    // actions: what was done to the current report's item (hidden, deleted, muted), told with the decision
    return { filter: "open", reports: [], open: new Map(), reportId: null, current: null, done: [], actions: [], safeguarding: null,
      audit: [], auditCursor: null };
  }

  function freshSearch() {
    // q: the words searched; pager: the SDK's pager of that search; results: every result shown; busy: a page is coming
    // openedId: the message opened from the results, marked in its room
    return { q: "", pager: null, results: [], busy: false, openedId: null };
  }

  function isStaff() {
    return state.role === "admin" || state.role === "teacher";
  }

  function isAdmin() {
    return state.role === "admin";
  }

  function t(key, vars = {}) {
    const table = STRINGS[state.lang] || STRINGS.en;
    const text = key in table ? table[key] : (STRINGS.en[key] ?? key);
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name === "html") node.innerHTML = value; // only for server-rendered, escaped body_html
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function humanSize(bytes) {
    if (bytes < 1024) return t("bytes", { n: bytes });
    if (bytes < 1024 * 1024) return t("kb", { n: (bytes / 1024).toFixed(1) });
    return t("mb", { n: (bytes / 1024 / 1024).toFixed(1) });
  }

  function when(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    const today = new Date().toDateString() === date.toDateString();
    const options = today ? { hour: "2-digit", minute: "2-digit" }
      : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
    return new Intl.DateTimeFormat(state.lang, options).format(date);
  }

  function shorten(text, max = 80) {
    if (!text) return "";
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }

  // ---- errors and status -------------------------------------------------------------------------

  let errorTimer = null;

  function showError(error, sticky = false) {
    const box = $("error");
    const code = error && error.code ? ` (${error.code})` : "";
    box.textContent = (error && error.message ? error.message : String(error)) + code;
    box.hidden = false;
    clearTimeout(errorTimer);
    if (!sticky) errorTimer = setTimeout(() => { box.hidden = true; }, 8000);
    console.warn("twinspace demo:", error);
  }

  async function guard(work) {
    try {
      return await work();
    } catch (error) {
      showError(error);
      return undefined;
    }
  }

  let noticeTimer = null;

  /** A short message for the person (a report received, a report handled, an action done). */
  function showNotice(text, kind) {
    const box = $("notice");
    box.textContent = text;
    box.dataset.kind = kind || "";
    box.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { box.hidden = true; }, 12000);
  }

  function setStatus(key) {
    $("connection").textContent = key ? t(key) : "";
    $("connection").dataset.state = key || "";
  }

  // ---- language -----------------------------------------------------------------------------------

  function pickLanguage() {
    const saved = localStorage.getItem("twinspace-demo-lang");
    if (LANGS.includes(saved)) return saved;
    // The server's rule: the language of the first preferred tag ("de-AT" -> "de"), else English.
    const preferred = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
    const primary = preferred.toLowerCase().split(/[-_]/)[0];
    return LANGS.includes(primary) ? primary : "en";
  }

  function applyLanguage(lang) {
    state.lang = LANGS.includes(lang) ? lang : "en";
    document.documentElement.lang = state.lang;
    document.title = t("title");
    $("lang-switch").value = state.lang;
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
    }
    for (const node of document.querySelectorAll("[data-i18n-aria-label]")) {
      node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
    }
    if (state.status) setStatus(state.status);
    renderAll();
  }

  function renderAll() {
    if (!state.session) {
      renderPeople(state.people || []);
      return;
    }
    renderWho();
    renderRooms();
    renderMessages();
    renderPresence();
    renderTyping();
    renderPending();
    renderReplying();
    renderThreads();
    renderThread();
    renderMails();
    renderMail();
    renderWriteState();
    renderRoomRules();
    renderPins();
    renderPollForm();
    renderModerationTab();
    renderReports();
    renderReportDetail();
    renderSafeguarding();
    renderAudit();
    renderReportDialog();
    renderMembers();
    renderRetention();
    renderEraseDialog();
    renderSearch();
  }

  // ---- choosing a person --------------------------------------------------------------------------

  async function loadPeople() {
    const answer = await fetch("./api/users", { headers: { Accept: "application/json" } });
    const data = await answer.json();
    if (!answer.ok) throw data.error || new Error(answer.statusText);
    state.people = data.users;
    renderPeople(state.people);
  }

  function roleName(role) {
    return t(`role_${role}`);
  }

  function renderPeople(people) {
    const list = $("people");
    list.replaceChildren(...people.map((person) => el("li", {},
      el("button", {
        type: "button", "data-testid": `login-${person.key}`, title: t("loginAs", { name: person.name }),
        onclick: () => guard(() => signIn(person.key)),
      },
      el("span", { class: "name", text: person.name }),
      el("span", { class: "meta", text: [roleName(person.role), person.country, person.school].filter(Boolean).join(" · ") })))));
  }

  async function newSession(key) {
    const answer = await fetch("./api/session", {
      method: "POST", headers: { "Content-Type": "application/json", "Accept-Language": state.lang },
      body: JSON.stringify({ user: key }),
    });
    const data = await answer.json();
    if (!answer.ok) throw Object.assign(new Error(data.error?.message || answer.statusText), { code: data.error?.code });
    return data;
  }

  async function signIn(key) {
    if (typeof window.Twinspace === "undefined") throw new Error(t("sdkMissing"));
    if (state.session || state.signingIn) return;
    state.signingIn = true;
    try {
      state.session = await newSession(key);
    } finally {
      state.signingIn = false;
    }
    sessionStorage.setItem("twinspace-demo-user", key);
    let fresh = true;
    setStatus("connecting");
    state.status = "connecting";
    state.client = Twinspace.createClient({
      url: location.origin,
      lang: state.lang, // the language of the server's error messages
      // The first connection uses the token just handed out; a later one (after a long pause) asks for a new one.
      getToken: async () => {
        if (fresh) { fresh = false; return state.session.token; }
        state.session = { ...state.session, ...(await newSession(key)) };
        return state.session.token;
      },
    });
    watchConnection(state.client);
    watchForum();
    watchMail();
    watchModeration();
    watchPrivacy();
    $("login").hidden = true;
    $("space").hidden = false;
    $("logout").hidden = false;
    renderWho();
    await Promise.all([loadProject(), loadMembers()]);
    await loadRooms();
    await Promise.all([loadThreads(), loadMails(), loadMailUnread(),
      isStaff() ? guard(loadOpenReports) : null, isStaff() ? guard(loadSafeguarding) : null,
      isAdmin() ? guard(loadRetention) : null]);
    renderModerationTab();
    renderAudit();
    renderMembers();
    $("main").focus();
  }

  async function signOut() {
    for (const stop of state.unsubscribers.splice(0)) { try { stop(); } catch { /* already gone */ } }
    const client = state.client;
    state.client = null;
    if (client) client.close();
    Object.assign(state, {
      session: null, project: null, members: [], rooms: new Map(), roomId: null, replyTo: null, pending: [],
      forum: { threads: [], threadId: null, page: null },
      mail: { folder: "inbox", copies: [], mailId: null, unread: 0, current: null },
      role: null, moderation: freshModeration(), reporting: null, erasing: null, retention: null,
      search: freshSearch(),
    });
    $("search-input").value = "";
    renderSearch();
    if ($("report-dialog").open) $("report-dialog").close();
    if ($("erase-dialog").open) $("erase-dialog").close();
    $("notice").hidden = true;
    showTab("chat");
    renderMailUnread();
    $("upload").hidden = true;
    $("message-input").value = "";
    for (const id of ["rooms", "messages", "presence", "typing", "threads", "mails", "pending-files", "room-title", "project-title"]) {
      $(id).replaceChildren();
    }
    renderThread();
    renderMail();
    renderReplying();
    renderModerationTab();
    renderWriteState();
    renderRoomRules();
    renderPins();
    renderPollForm();
    state.mentionPicks.clear();
    closeMentions();
    renderReports();
    renderReportDetail();
    renderAudit();
    renderMembers();
    renderRetention();
    $("audit").open = false;
    sessionStorage.removeItem("twinspace-demo-user");
    $("space").hidden = true;
    $("logout").hidden = true;
    $("export-mine").hidden = true;
    $("current-user").hidden = true;
    $("login").hidden = false;
    setStatus("");
    state.status = "";
    renderPeople(state.people || []);
  }

  function renderWho() {
    const who = $("current-user");
    if (!state.session) { who.hidden = true; return; }
    const user = state.session.user;
    who.textContent = t("signedInAs", { name: user.name, role: roleName(user.role), country: user.country || "—" });
    who.hidden = false;
    $("project-title").textContent = state.project ? state.project.title : "";
    // Every member exports their own data; a support officer is no member.
    $("export-mine").hidden = !state.role || state.role === "support";
  }

  /** Subscribe to an SDK emitter, remembering how to stop on sign-out. */
  function listen(target, name, handler) {
    if (!target || typeof target.on !== "function") return;
    const result = target.on(name, handler);
    if (typeof result === "function") state.unsubscribers.push(result);
    else if (typeof target.off === "function") state.unsubscribers.push(() => target.off(name, handler));
  }

  function watchConnection(client) {
    const status = (key) => () => { state.status = key; setStatus(key); };
    listen(client, "connected", status("connected"));
    listen(client, "disconnected", status("disconnected"));
    listen(client, "error", (error) => showError(error));
    listen(client, "closed", (error) => { if (state.client === client && error && error.code !== "client.closed") showError(error, true); });
  }

  // ---- project and members ------------------------------------------------------------------------

  async function loadProject() {
    const found = await state.client.getProject(state.session.project_id);
    state.project = found.project;
    state.role = found.role;
    state.status = "connected";
    setStatus("connected");
    renderWho();
  }

  async function loadMembers() {
    state.members = await state.client.listMembers(state.session.project_id);
    renderRecipients();
    renderMembers();
  }

  // ---- chat ---------------------------------------------------------------------------------------

  async function loadRooms() {
    const spaces = await state.client.listSpaces(state.session.project_id);
    const chats = spaces.filter((space) => space.kind === "chat");
    for (const space of chats) {
      const entry = { space, room: null, messages: new Map(), online: new Map(), typing: new Map(), unread: 0, hasMore: false,
        seenWho: new Map(), voters: new Map(), // message id -> who read it / who voted, once asked for
        picks: new Map() }; // poll id -> the options ticked but not yet sent, kept while live results redraw the poll
      state.rooms.set(space.id, entry);
    }
    await Promise.all(chats.map((space) => guard(() => joinRoom(state.rooms.get(space.id)))));
    const general = state.session.rooms && state.session.rooms.general;
    const first = state.rooms.has(general) ? general : chats[0] && chats[0].id;
    if (first) selectRoom(first);
    renderRooms();
  }

  async function joinRoom(entry) {
    const room = await state.client.joinRoom(entry.space.id);
    entry.room = room;
    for (const message of room.recent) entry.messages.set(message.seq, message);
    for (const person of room.online) entry.online.set(person.key, person);
    entry.unread = room.unread;
    entry.hasMore = room.hasOlder;
    const id = entry.space.id;
    listen(room, "message", (message) => onMessage(id, message));
    // Every change to a message: edited, deleted, hidden, reactions, pins, votes (after a reconnection too).
    listen(room, "messageChanged", ({ message }) => onChanged(id, message));
    listen(room, "pinned", () => { if (id === state.roomId) renderPins(); });
    listen(room, "seen", (counts) => onSeen(id, counts));
    listen(room, "mine", ({ message_id }) => {
      const message = entry.room.message(message_id);
      if (message) onChanged(id, message);
    });
    listen(room, "mentions", () => renderRooms());
    listen(room, "features", () => { if (id === state.roomId) renderMessages(); });
    listen(room, "updated", (space) => {
      entry.space = space;
      if (id === state.roomId) { renderRoomRules(); renderWriteState(); }
    });
    listen(room, "writeState", () => { if (id === state.roomId) renderWriteState(); });
    listen(room, "typing", (push) => onTyping(id, push));
    listen(room, "presence", () => onPresence(id, room.online));
    listen(room, "unread", (unread) => onUnread(id, unread));
  }

  function currentRoom() {
    return state.rooms.get(state.roomId);
  }

  function selectRoom(id) {
    state.roomId = id;
    state.replyTo = null;
    renderRooms();
    renderMessages();
    renderPresence();
    renderTyping();
    renderReplying();
    renderWriteState();
    renderRoomRules();
    renderPins();
    renderPollForm();
    closeMentions();
    markRead();
  }

  function lastSeq(entry) {
    let last = 0;
    for (const seq of entry.messages.keys()) last = Math.max(last, seq);
    return last;
  }

  function markRead() {
    const entry = currentRoom();
    if (!entry || !entry.room || document.hidden || $("panel-chat").hidden) return;
    const seq = lastSeq(entry);
    if (seq === 0 && entry.unread === 0) return;
    entry.unread = 0;
    renderRooms();
    guard(() => entry.room.markRead(seq));
  }

  function onMessage(roomId, message) {
    const entry = state.rooms.get(roomId);
    if (!entry || entry.messages.has(message.seq)) return;
    entry.messages.set(message.seq, message);
    entry.typing.delete(message.author_id);
    const mine = message.author_id === state.session.user.id;
    if (roomId === state.roomId) {
      appendMessage(message);
      renderTyping();
      if (!mine) markRead();
    } else if (!mine) {
      entry.unread += 1;
      renderRooms();
    }
  }

  function onChanged(roomId, message) {
    const entry = state.rooms.get(roomId);
    if (!entry) return;
    if (entry.messages.has(message.seq)) entry.messages.set(message.seq, message); // older ones: not shown
    if (entry.voters.has(message.id)) guard(() => loadVoters(entry, message)); // the list shown stays live
    if (roomId !== state.roomId) return;
    refreshMessage(message);
    renderPins();
  }

  /** Draw one message again where it is, keeping the keyboard focus on the same control. */
  function refreshMessage(message) {
    const node = $("messages").querySelector(`[data-seq="${message.seq}"]`);
    if (!node) return;
    const focused = node.contains(document.activeElement) ? document.activeElement.dataset.focus : null;
    const fresh = messageNode(message);
    node.replaceWith(fresh);
    if (focused) fresh.querySelector(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
  }

  function onSeen(roomId, counts) {
    const entry = state.rooms.get(roomId);
    if (!entry || roomId !== state.roomId) return;
    for (const { seq } of counts.counts) {
      const message = entry.messages.get(seq);
      if (message) refreshMessage(message);
    }
  }

  function onUnread(roomId, unread) {
    const entry = state.rooms.get(roomId);
    if (!entry) return;
    entry.unread = unread.unread;
    if (roomId === state.roomId && !$("panel-chat").hidden) entry.unread = 0;
    renderRooms();
  }

  function onTyping(roomId, push) {
    const entry = state.rooms.get(roomId);
    const user = push.user;
    if (!entry || user.user_id === state.session.user.id) return;
    entry.typing.set(user.key, { name: user.name, until: Date.now() + 3500 });
    if (roomId === state.roomId) renderTyping();
    setTimeout(() => { if (roomId === state.roomId) renderTyping(); }, 3600);
  }

  function onPresence(roomId, online) {
    const entry = state.rooms.get(roomId);
    if (!entry) return;
    entry.online = new Map(online.map((person) => [person.key, person]));
    if (roomId === state.roomId) renderPresence();
  }

  function renderRooms() {
    const list = $("rooms");
    if (!state.session) return;
    const entry = currentRoom();
    $("room-title").textContent = entry ? entry.space.name : "";
    $("composer").hidden = !entry || state.session.user.role === "visitor";
    if (state.rooms.size === 0) {
      list.replaceChildren(el("li", { class: "empty", "data-testid": "no-rooms", text: t("noRooms") }));
      return;
    }
    list.replaceChildren(...[...state.rooms.values()].map((entry) => el("li", {},
      el("button", {
        type: "button", "data-testid": "room", "data-room-id": entry.space.id,
        "aria-current": entry.space.id === state.roomId ? "true" : "false",
        onclick: () => selectRoom(entry.space.id),
      },
      el("span", { text: entry.space.name }),
      entry.unread > 0
        ? el("span", { class: "badge", "data-testid": "room-unread", "aria-label": t("unreadIn", { count: entry.unread }), text: entry.unread })
        : null,
      mentionBadge(entry)))));
  }

  function mentionBadge(entry) {
    const count = entry.room ? entry.room.mentionCount : 0;
    if (!count || entry.space.id === state.roomId) return null;
    const label = count === 1 ? t("mentionsOne") : t("mentionsMany", { count });
    return el("span", { class: "badge mention", "data-testid": "room-mentions", "aria-label": label, title: label }, `@${count}`);
  }

  function findMessage(entry, id) {
    for (const message of entry.messages.values()) if (message.id === id) return message;
    return null;
  }

  function attachmentLinks(files) {
    if (!files || files.length === 0) return null;
    return el("div", { class: "attachments" }, files.map((file) => el("a", {
      href: `/api/v1/files/${encodeURIComponent(file.id)}`, download: file.name, "data-testid": "attachment-link",
      "data-file-id": file.id, title: t("download", { name: file.name, size: humanSize(file.size) }),
      onclick: (event) => { event.preventDefault(); guard(() => download(file)); },
    }, `${file.name} (${humanSize(file.size)})`)));
  }

  /** Whether a message names the person (@name) or calls the teachers and the person is one. */
  function mentionsMe(message) {
    const me = state.session.user.id;
    return (message.mentions || []).some((m) => m.user_id === me) || (Boolean(message.mentions_teachers) && isStaff());
  }

  function messageNode(message) {
    const entry = currentRoom();
    const mine = message.author_id === state.session.user.id;
    const quoted = message.reply_to && entry ? findMessage(entry, message.reply_to) : null;
    const mentioned = !message.deleted && mentionsMe(message);
    const found = message.id === state.search.openedId; // the search result opened last stays marked
    const classes = ["message", mine ? "mine" : "", mentioned ? "mentioned" : "", message.poll ? "has-poll" : "",
      found ? "found" : ""];
    return el("li", { class: classes.filter(Boolean).join(" "), "data-testid": "message", "data-seq": message.seq,
      "data-author": message.author_id, "data-message-id": message.id, "data-mentioned": mentioned ? "true" : null,
      "data-found": found ? "true" : null, tabindex: found ? "-1" : null },
      mentioned ? el("span", { class: "visually-hidden", text: t("mentionsYou") }) : null,
      el("header", {},
        el("span", { class: "author", text: message.author_name }),
        el("time", { datetime: message.created_at, text: when(message.created_at) }),
        message.edited_at && !message.deleted ? el("span", { class: "edited", text: `(${t("edited")})` }) : null),
      quoted ? el("p", { class: "quote", "data-testid": "message-quote",
        text: t("inReplyTo", { name: quoted.author_name, text: shorten(quoted.text || t("deletedMessage")) }) }) : null,
      message.deleted
        ? el("p", { class: "text deleted", text: t("deletedMessage") })
        : message.hidden
          ? el("p", { class: "text deleted", "data-testid": "message-hidden" }, t("hiddenMessage"),
            isStaff() && message.text ? el("span", { class: "hidden-text", text: ` — ${message.text}` }) : null)
          : message.poll ? null : el("p", { class: "text", "data-testid": "message-text", text: message.text }),
      message.deleted || message.hidden ? null : attachmentLinks(message.attachments),
      message.deleted || message.hidden || !message.poll || !entry?.room ? null : pollNode(entry, message),
      message.deleted || message.hidden || !entry?.room ? null : reactionsNode(entry, message),
      message.deleted || !entry?.room ? null : seenNode(entry, message),
      message.deleted ? null : el("div", { class: "actions" },
        state.session.user.role === "visitor" || message.hidden ? null : el("button", {
          type: "button", class: "link", "data-testid": "reply-button",
          "aria-label": `${t("reply")}: ${message.author_name}`, onclick: () => startReply(message) }, t("reply")),
        mine || message.hidden ? null : el("button", {
          type: "button", class: "link", "data-testid": "report-button",
          "aria-label": `${t("report")}: ${message.author_name}`,
          onclick: () => openReportDialog({ kind: "message", id: message.id, roomId: message.room_id },
            { kind: "message", name: message.author_name, text: message.text }) }, t("report")),
        isStaff() && !message.hidden ? el("button", {
          type: "button", class: "link", "data-testid": "pin-button", "data-focus": "pin",
          onclick: () => guard(() => (message.pinned ? entry.room.unpin(message.id) : entry.room.pin(message.id))) },
        message.pinned ? t("unpin") : t("pin")) : null,
        isStaff() ? el("button", {
          type: "button", class: "link", "data-testid": "hide-button",
          onclick: () => guard(() => entry.room.hide(message.id, !message.hidden)) }, message.hidden ? t("unhide") : t("hide")) : null,
        isStaff() ? el("button", {
          type: "button", class: "link danger", "data-testid": "delete-button",
          onclick: () => guard(() => entry.room.delete(message.id)) }, t("delete")) : null));
  }

  /** The room's features, or the defaults before the join answered. */
  function features(entry) {
    try { return entry.room.features; } catch { return { reactions: [], seen_by: "off" }; }
  }

  /** The reactions given, each a button with its count (one's own pressed), and the offered set to add one. */
  function reactionsNode(entry, message) {
    const offered = features(entry).reactions;
    const counts = new Map((message.reactions || []).map((r) => [r.emoji, r.count]));
    const mine = new Set(entry.room.myReactions(message.id));
    const canReact = state.role !== "visitor" && state.role !== "support";
    if (counts.size === 0 && (!canReact || offered.length === 0)) return null;
    const toggle = (emoji) => guard(() => (mine.has(emoji) ? entry.room.unreact(message.id, emoji) : entry.room.react(message.id, emoji)));
    const given = [...counts.entries()].filter(([, count]) => count > 0).map(([emoji, count]) => el("button", {
      type: "button", class: mine.has(emoji) ? "reaction mine" : "reaction", "data-testid": "reaction",
      "data-emoji": emoji, "data-focus": `reaction-${emoji}`, "aria-pressed": mine.has(emoji) ? "true" : "false",
      disabled: !canReact || (!offered.includes(emoji) && !mine.has(emoji)),
      "aria-label": t(mine.has(emoji) ? "reactionMine" : "reactionCount", { emoji, count }),
      onclick: () => toggle(emoji),
    }, el("span", { "aria-hidden": "true", text: emoji }), " ", el("span", { class: "count", text: count })));
    const picker = canReact && offered.length > 0 ? el("details", { class: "reaction-picker", "data-testid": "reaction-picker" },
      el("summary", { "aria-label": t("reactionAdd"), title: t("reactionAdd"), "data-focus": "reaction-picker" }, "☺+"),
      el("div", { class: "reaction-choices", role: "group", "aria-label": t("reactionPick") },
        offered.map((emoji) => el("button", {
          type: "button", class: mine.has(emoji) ? "reaction-choice mine" : "reaction-choice", "data-testid": "reaction-choice",
          "data-emoji": emoji, "aria-pressed": mine.has(emoji) ? "true" : "false", "aria-label": t("reactWith", { emoji }),
          onclick: () => toggle(emoji),
        }, emoji)))) : null;
    return el("div", { class: "reactions", role: "group", "aria-label": t("reactionsLabel") }, given, picker);
  }

  /** "Seen by 3" under a message; those who may see names click it to see who. */
  function seenNode(entry, message) {
    const count = entry.room.seenCount(message.seq);
    const mode = features(entry).seen_by;
    if (count === undefined || mode === "off" || state.role === "visitor") return null;
    const mayName = mode === "names_to_members" ? state.role !== "support" : mode === "names_to_staff" && isStaff();
    const who = entry.seenWho.get(message.id);
    if (!mayName || count === 0) {
      return el("p", { class: "seen", "data-testid": "seen-count", "data-count": count },
        count === 0 ? t("seenByNobody") : t("seenBy", { count }));
    }
    return el("div", { class: "seen" },
      el("button", {
        type: "button", class: "link", "data-testid": "seen-count", "data-count": count, "data-focus": "seen",
        "aria-expanded": who ? "true" : "false",
        onclick: () => guard(async () => {
          if (entry.seenWho.has(message.id)) entry.seenWho.delete(message.id);
          else entry.seenWho.set(message.id, await entry.room.seenBy(message.id));
          refreshMessage(message);
        }),
      }, t("seenByWho", { count })),
      who ? el("ul", { class: "seen-who", "data-testid": "seen-who", "aria-label": t("seenByList") },
        who.readers.map((person) => el("li", { text: person.name }))) : null);
  }

  function plural(count, one, many) {
    return count === 1 ? t(one) : t(many, { count });
  }

  /** A poll: its question, the results live, a vote for those who may, and the teachers' controls. */
  function pollNode(entry, message) {
    const poll = message.poll;
    const chosen = new Set(entry.room.myVote(message.id));
    const picked = entry.picks.get(message.id) ?? chosen;
    const canVote = !poll.closed && state.role !== "visitor" && state.role !== "support";
    const total = Math.max(1, poll.options.reduce((sum, option) => sum + option.votes, 0));
    const name = `poll-${message.id}`;
    const voters = entry.voters.get(message.id);
    const form = el("form", {
      class: "poll-vote", "data-testid": "poll-form-vote",
      onchange: (event) => {
        entry.picks.set(message.id, new Set(ticked(event.currentTarget)));
      },
      onsubmit: (event) => {
        event.preventDefault();
        const choices = ticked(event.currentTarget);
        guard(async () => {
          await entry.room.vote(message.id, choices);
          entry.picks.delete(message.id);
          showNotice(t("pollVoted"), "poll-voted");
        });
      },
    },
    el("fieldset", {},
      el("legend", { class: "poll-question", "data-testid": "poll-question-text", text: poll.question }),
      canVote ? el("p", { class: "meta", text: poll.multiple ? t("pollChooseSome") : t("pollChooseOne") }) : null,
      el("ol", { class: "poll-options" }, poll.options.map((option, index) => el("li", {
        class: chosen.has(index) ? "poll-option chosen" : "poll-option", "data-testid": "poll-option", "data-index": index,
        "data-votes": option.votes,
      },
      canVote
        ? el("label", {}, el("input", { type: poll.multiple ? "checkbox" : "radio", name, value: index,
          checked: picked.has(index), "data-testid": "poll-choice", "data-focus": `choice-${index}` }), " ", option.text)
        : el("span", { class: "poll-option-text", text: option.text }),
      chosen.has(index) ? el("span", { class: "poll-yours", text: ` (${t("pollYours")})` }) : null,
      el("meter", { min: 0, max: total, value: option.votes, "aria-hidden": "true" }),
      el("span", { class: "poll-votes", "data-testid": "poll-votes", text: plural(option.votes, "votesOne", "votesMany") }),
      voters ? el("span", { class: "poll-voters", "data-testid": "poll-voters",
        text: `: ${(voters.options.find((o) => o.index === index)?.people || []).map((p) => p.name).join(", ") || t("pollNoVoters")}` })
        : null)))),
    el("p", { class: "meta", "data-testid": "poll-summary", "data-voters": poll.voters },
      poll.voters === 0 ? t("votersNone") : plural(poll.voters, "votersOne", "votersMany"),
      poll.anonymous ? ` · ${t("pollAnonymousNote")}` : "",
      poll.closed ? ` · ${t("pollClosed")}` : poll.closes_at ? ` · ${t("pollCloses", { when: whenDay(poll.closes_at) })}` : ""),
    el("div", { class: "row" },
      canVote ? el("button", { type: "submit", "data-testid": "poll-vote", "data-focus": "vote" },
        chosen.size ? t("pollChange") : t("pollVote")) : null,
      isStaff() && !poll.closed ? el("button", { type: "button", class: "secondary", "data-testid": "poll-close",
        "data-focus": "close", onclick: () => guard(() => entry.room.closePoll(message.id)) }, t("pollClose")) : null,
      isStaff() && !poll.anonymous && !voters ? el("button", { type: "button", class: "secondary", "data-testid": "poll-see-voters",
        onclick: () => guard(() => loadVoters(entry, message)) }, t("pollSeeVoters")) : null));
    return el("section", { class: poll.closed ? "poll closed" : "poll", "data-testid": "poll", "aria-label": t("pollLabel") }, form);
  }

  function ticked(form) {
    return [...form.querySelectorAll("input:checked")].map((input) => Number(input.value));
  }

  async function loadVoters(entry, message) {
    entry.voters.set(message.id, await entry.room.pollVoters(message.id));
    if (entry.space.id === state.roomId) refreshMessage(entry.room.message(message.id) || message);
  }

  /** The pinned messages at the top of the room; teachers unpin them from there. */
  function renderPins() {
    const box = $("pins");
    const entry = currentRoom();
    const pins = entry && entry.room ? entry.room.pinned : [];
    box.hidden = !state.session || pins.length === 0;
    $("pin-list").replaceChildren(...pins.map((message) => el("li", { "data-testid": "pinned-message", "data-seq": message.seq },
      el("span", { class: "author", text: message.author_name }), " ",
      el("span", { class: "text", text: shorten(message.hidden ? t("hiddenMessage") : message.text, 120) }),
      isStaff() ? el("button", { type: "button", class: "link", "data-testid": "unpin-button",
        onclick: () => guard(() => entry.room.unpin(message.id)) }, t("unpin")) : null)));
  }

  // ---- polls: the teachers' form ----

  function renderPollForm() {
    $("new-poll").hidden = !state.session || !currentRoom() || !isStaff();
  }

  async function submitPoll(event) {
    event.preventDefault();
    const entry = currentRoom();
    if (!entry || !entry.room) return;
    const options = $("poll-options").value.split("\n").map((line) => line.trim()).filter(Boolean);
    const closes = $("poll-closes").value;
    const message = await entry.room.createPoll({
      question: $("poll-question").value.trim(),
      options,
      multiple: $("poll-multiple").checked,
      anonymous: $("poll-anonymous").checked,
      ...(closes ? { closesAt: new Date(closes) } : {}),
    });
    $("poll-form").reset();
    $("new-poll").open = false;
    showNotice(t("pollCreated"), "poll-created");
    if (message && message.seq) onMessage(entry.space.id, message);
  }

  // ---- @mentions in the composer ----

  /** Who may be mentioned in this room: those who can read it (teachers only in a teachers' room), not oneself. */
  function mentionable(entry) {
    const me = state.session.user.id;
    const visibility = entry.space.visibility;
    const readers = state.members.filter((m) => m.user_id && m.user_id !== me && (visibility === "teachers"
      ? m.role === "teacher" || m.role === "admin" : visibility === "visitors" || m.role !== "visitor"));
    return [
      { handle: `@${t("teachersHandle")}`, label: t("mentionTeachers"), userId: "teachers" },
      ...readers.map((m) => ({ handle: `@${m.display_name}`, label: `${m.display_name} (${roleName(m.role)})`, userId: m.user_id })),
    ];
  }

  /** The "@wor" being typed just before the caret, if any. */
  function mentionQuery() {
    const input = $("message-input");
    const before = input.value.slice(0, input.selectionStart);
    const match = /(^|\s)@([^\s@]*)$/u.exec(before);
    return match ? { start: before.length - match[2].length - 1, text: match[2] } : null;
  }

  function offerMentions() {
    const entry = currentRoom();
    const query = entry && state.session ? mentionQuery() : null;
    if (!query) { closeMentions(); return; }
    const wanted = query.text.toLocaleLowerCase();
    state.mentionMatches = mentionable(entry)
      .filter((m) => m.handle.slice(1).toLocaleLowerCase().startsWith(wanted) || m.label.toLocaleLowerCase().includes(wanted))
      .slice(0, 8);
    const list = $("mention-list");
    if (state.mentionMatches.length === 0) { closeMentions(); return; }
    list.replaceChildren(...state.mentionMatches.map((m, index) => el("li", {
      role: "option", id: `mention-${index}`, "data-testid": "mention-option", "data-user-id": m.userId,
      "aria-selected": index === 0 ? "true" : "false",
      onmousedown: (event) => { event.preventDefault(); pickMention(m); },
    }, el("strong", { text: m.handle }), " ", el("span", { class: "meta", text: m.label }))));
    list.hidden = false;
    $("message-input").setAttribute("aria-expanded", "true");
    $("message-input").setAttribute("aria-activedescendant", "mention-0");
  }

  function closeMentions() {
    state.mentionMatches = [];
    $("mention-list").hidden = true;
    $("mention-list").replaceChildren();
    $("message-input").setAttribute("aria-expanded", "false");
    $("message-input").removeAttribute("aria-activedescendant");
  }

  function mentionKeys(event) {
    const list = $("mention-list");
    if (list.hidden || state.mentionMatches.length === 0) return;
    const options = [...list.children];
    let index = options.findIndex((node) => node.getAttribute("aria-selected") === "true");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      index = (index + (event.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
      options.forEach((node, i) => node.setAttribute("aria-selected", i === index ? "true" : "false"));
      $("message-input").setAttribute("aria-activedescendant", `mention-${index}`);
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      pickMention(state.mentionMatches[Math.max(0, index)]);
    } else if (event.key === "Escape") {
      closeMentions();
    }
  }

  function pickMention(match) {
    const input = $("message-input");
    const query = mentionQuery();
    if (!query) return;
    const after = input.value.slice(input.selectionStart);
    input.value = `${input.value.slice(0, query.start)}${match.handle} ${after}`;
    const caret = query.start + match.handle.length + 1;
    input.setSelectionRange(caret, caret);
    state.mentionPicks.set(match.handle, match.userId);
    closeMentions();
    input.focus();
  }

  /** The mentions a text still holds: the people picked from the list, and whether it calls the teachers. */
  function mentionsIn(text) {
    const mentions = [];
    let teachers = TEACHER_HANDLES.test(text);
    for (const [handle, userId] of state.mentionPicks) {
      if (!text.includes(handle)) continue;
      if (userId === "teachers") teachers = true;
      else if (!mentions.includes(userId)) mentions.push(userId);
    }
    return { mentions, teachers };
  }

  function renderMessages() {
    const list = $("messages");
    const entry = currentRoom();
    if (!entry) {
      const hint = state.session && state.rooms.size === 0
        ? t(state.session.user.role === "visitor" ? "visitorHint" : "noRooms") : "";
      list.replaceChildren(...(hint ? [el("li", { class: "empty", text: hint })] : []));
      $("older").hidden = true;
      return;
    }
    const messages = [...entry.messages.values()].sort((a, b) => a.seq - b.seq);
    if (messages.length === 0) list.replaceChildren(el("li", { class: "empty", "data-testid": "no-messages", text: t("noMessages") }));
    else list.replaceChildren(...messages.map(messageNode));
    $("older").hidden = !entry.hasMore;
    list.scrollTop = list.scrollHeight;
  }

  function appendMessage(message) {
    const list = $("messages");
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    list.querySelector('[data-testid="no-messages"]')?.remove();
    const after = [...list.children].find((node) => Number(node.dataset.seq) > message.seq);
    list.insertBefore(messageNode(message), after || null);
    if (nearBottom || message.author_id === state.session.user.id) list.scrollTop = list.scrollHeight;
  }

  async function loadOlder() {
    const entry = currentRoom();
    if (!entry || !entry.room) return;
    const first = Math.min(...entry.messages.keys());
    const page = await entry.room.history({ beforeSeq: first });
    for (const message of page.messages) entry.messages.set(message.seq, message);
    entry.hasMore = Boolean(page.has_more);
    renderMessages();
  }

  function renderPresence() {
    const list = $("presence");
    const entry = currentRoom();
    if (!entry || !state.session) { list.replaceChildren(); return; }
    const people = [...entry.online.values()].sort((a, b) => a.name.localeCompare(b.name));
    list.replaceChildren(...people.map((person) => el("li", { "data-testid": "presence-user", "data-user-id": person.user_id ?? "" },
      person.user_id === state.session.user.id ? `${person.name} (${t("you")})` : person.name,
      el("span", { class: "visually-hidden", text: `, ${roleName(person.role) || person.role}` }))));
  }

  function renderTyping() {
    const entry = currentRoom();
    const now = Date.now();
    const names = entry ? [...entry.typing.values()].filter((who) => who.until > now).map((who) => who.name) : [];
    $("typing").textContent = names.length === 0 ? ""
      : names.length === 1 ? t("typingOne", { name: names[0] }) : t("typingMany", { names: names.join(", ") });
  }

  /** What the person may do in the current room now, said plainly: muted, announcements only, slow mode, closed. */
  function renderWriteState() {
    const box = $("write-state");
    const entry = currentRoom();
    let writeState = null;
    try { writeState = entry && entry.room ? entry.room.writeState : null; } catch { writeState = null; }
    if (!state.session || !entry || !writeState || state.session.user.role === "visitor") {
      box.hidden = true;
      box.dataset.state = "";
      return;
    }
    const secsLeft = (iso) => Math.max(1, Math.ceil((Date.parse(iso) - Date.now()) / 1000));
    let text = "";
    let kind = "open";
    if (!writeState.can_write) {
      switch (writeState.reason) {
        case "chat.muted":
          kind = "muted";
          text = t("write_muted", { until: writeState.until ? when(writeState.until) : "…" });
          break;
        case "chat.read_only":
          kind = "read_only";
          text = t("write_read_only");
          break;
        case "chat.slow_mode":
          kind = "slow_mode";
          text = t("write_slow_mode", { secs: writeState.until ? secsLeft(writeState.until) : writeState.slow_mode_secs });
          break;
        case "chat.closed_hours":
          kind = "closed";
          text = writeState.opens_at ? t("write_closed", { when: whenDay(writeState.opens_at) }) : t("write_closed_soon");
          break;
        default:
          kind = "denied";
          text = t("write_denied");
      }
    } else if (!isStaff() && writeState.slow_mode_secs > 0) {
      const wait = entry.lastSentAt ? entry.lastSentAt + writeState.slow_mode_secs * 1000 - Date.now() : 0;
      kind = wait > 0 ? "slow_mode" : "slow_on";
      text = wait > 0 ? t("write_slow_mode", { secs: Math.ceil(wait / 1000) }) : t("write_slow_on", { secs: writeState.slow_mode_secs });
    } else if (isStaff() && writeState.read_only) {
      kind = "staff_read_only";
      text = t("staffReadOnly");
    }
    box.hidden = !text;
    box.textContent = text;
    box.dataset.state = kind;
    box.classList.toggle("blocked", !writeState.can_write || kind === "slow_mode");
  }

  /** A day and time: "Monday 08:00" when not today. */
  function whenDay(iso) {
    const date = new Date(iso);
    const today = new Date().toDateString() === date.toDateString();
    const options = today ? { hour: "2-digit", minute: "2-digit" } : { weekday: "long", hour: "2-digit", minute: "2-digit" };
    return new Intl.DateTimeFormat(state.lang, options).format(date);
  }

  function renderRoomRules() {
    const box = $("room-rules");
    const entry = currentRoom();
    box.hidden = !state.session || !entry || !isStaff();
    if (box.hidden) return;
    if (document.activeElement && box.contains(document.activeElement)) return; // being edited
    $("rules-read-only").checked = Boolean(entry.space.read_only);
    $("rules-slow-mode").value = String(entry.space.slow_mode_secs || 0);
  }

  async function saveRoomRules(event) {
    event.preventDefault();
    const entry = currentRoom();
    if (!entry) return;
    const space = await state.client.moderation.configureRoom(entry.space.id, {
      readOnly: $("rules-read-only").checked,
      slowModeSecs: Math.max(0, Math.round(Number($("rules-slow-mode").value) || 0)),
    });
    entry.space = space;
    showNotice(t("saved"), "rules-saved");
    renderRoomRules();
    renderWriteState();
  }

  function startReply(message) {
    state.replyTo = message;
    renderReplying();
    $("message-input").focus();
  }

  function renderReplying() {
    const box = $("replying");
    if (!state.replyTo) { box.hidden = true; return; }
    $("replying-text").textContent = t("replyingTo", { name: state.replyTo.author_name, text: shorten(state.replyTo.text) });
    box.hidden = false;
  }

  function renderPending() {
    $("pending-files").replaceChildren(...state.pending.map((file) => el("span", { "data-testid": "pending-file" },
      t("attached", { name: file.name }), " ",
      el("button", { type: "button", class: "link", "aria-label": t("removeFile", { name: file.name }),
        onclick: () => { state.pending = state.pending.filter((f) => f !== file); renderPending(); } }, "×"))));
  }

  async function sendMessage(event) {
    event.preventDefault();
    const entry = currentRoom();
    const input = $("message-input");
    let text = input.value;
    if (!entry || !entry.room) return;
    if (!text.trim() && state.pending.length === 0) return;
    if (!text.trim()) text = state.pending.map((file) => file.name).join(", "); // a message needs text
    const options = {};
    if (state.replyTo) options.replyTo = state.replyTo.id;
    if (state.pending.length) options.attachments = state.pending.map((file) => file.id);
    const { mentions, teachers } = mentionsIn(text);
    if (mentions.length) options.mentions = mentions;
    if (teachers) options.mentionTeachers = true;
    $("send").disabled = true;
    try {
      const message = await entry.room.send(text, options);
      // Slow mode counts from a send made while it was on (the server's count, too).
      let slowed = false;
      try { slowed = entry.room.writeState.slow_mode_secs > 0; } catch { slowed = false; }
      entry.lastSentAt = slowed ? Date.now() : 0;
      input.value = "";
      state.replyTo = null;
      state.pending = [];
      state.mentionPicks.clear();
      closeMentions();
      renderReplying();
      renderPending();
      if (message && message.seq) onMessage(entry.space.id, message);
    } catch (error) {
      showError(error);
    } finally {
      $("send").disabled = false;
      renderWriteState();
      input.focus();
    }
  }

  function typing() {
    const entry = currentRoom();
    const now = Date.now();
    if (!entry || !entry.room || now - state.lastTypingSent < 2000) return;
    state.lastTypingSent = now;
    entry.room.typing().catch(() => { /* a lost typing hint does not matter */ });
  }

  function setProgress(percent, label) {
    const rounded = Math.max(0, Math.min(100, Math.round(percent)));
    $("upload").hidden = false;
    $("upload-progress").value = rounded;
    $("upload-percent").textContent = `${rounded} %`;
    if (label !== undefined) $("upload-label").textContent = label;
  }


  async function uploadChosenFile() {
    const input = $("file-input");
    const file = input.files && input.files[0];
    if (!file) return;
    setProgress(0, t("uploading", { name: file.name }));
    $("upload").dataset.state = "uploading";
    try {
      const record = await state.client.uploadFile(state.session.project_id, file, {
        onProgress: ({ loaded, total }) => setProgress(total ? (100 * loaded) / total : 0),
      });
      setProgress(100, t("uploaded", { name: record.name || file.name }));
      $("upload").dataset.state = "done";
      state.pending.push(record);
      renderPending();
    } catch (error) {
      $("upload").dataset.state = "failed";
      $("upload").hidden = true;
      showError(error);
    } finally {
      input.value = "";
    }
  }

  /** Downloads need the token (Authorization header), which a plain link cannot carry: fetch, then save the blob. */
  async function download(file) {
    const blob = await state.client.downloadFile(file.id);
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: file.name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  // ---- search -------------------------------------------------------------------------------------

  async function startSearch(event) {
    event.preventDefault();
    const q = $("search-input").value.trim();
    if (!q || !state.client) return;
    // A new search: the pager of the last one is dropped (its late pages are ignored below).
    state.search = { q, pager: state.client.searchPager(state.session.project_id, q, { limit: 10 }), results: [], busy: false,
      openedId: state.search.openedId };
    await moreResults();
  }

  async function moreResults() {
    const search = state.search;
    if (!search.pager || search.busy || search.pager.done) return;
    search.busy = true;
    renderSearch();
    try {
      const page = await search.pager.next();
      if (state.search !== search) return; // another search started meanwhile
      if (page) search.results.push(...page.results);
    } finally {
      search.busy = false;
      if (state.search === search) renderSearch();
    }
  }

  const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#x27;": "'", "&#39;": "'" };

  /**
   * The snippet as nodes: the server escapes the text and marks each match with <mark>. It is not put in the page
   * as HTML: it is checked to hold no other tag, cut at the marks, and each piece is added as text.
   */
  function snippetNodes(snippet) {
    const parts = String(snippet).split(/(<mark>|<\/mark>)/);
    const onlyMarks = parts.every((part) => part === "<mark>" || part === "</mark>" || !/[<>]/.test(part));
    if (!onlyMarks) return [document.createTextNode(String(snippet))]; // not what the server promises: shown as it is
    const decode = (text) => text.replace(/&(?:amp|lt|gt|quot|#x27|#39);/g, (entity) => ENTITIES[entity]);
    const nodes = [];
    let marked = false;
    for (const part of parts) {
      if (part === "<mark>") marked = true;
      else if (part === "</mark>") marked = false;
      else if (part) nodes.push(marked ? el("mark", { text: decode(part) }) : document.createTextNode(decode(part)));
    }
    return nodes;
  }

  function whereFound(result) {
    if (result.kind === "message") {
      const entry = state.rooms.get(result.space_id);
      return entry ? t("whereRoom", { name: entry.space.name }) : t("whereSomewhere");
    }
    if (result.kind === "thread" || result.kind === "post") return t("whereForum", { title: result.title || "…" });
    if (result.kind === "mail") return t("whereMail", { title: result.title || "…" });
    if (result.kind === "file") return t("whereFile", { title: result.title || "…" });
    return t("whereSomewhere");
  }

  function resultNode(result) {
    return el("li", { class: `search-result kind-${result.kind}`, "data-testid": "search-result", "data-kind": result.kind,
      "data-id": result.id },
      el("button", { type: "button", class: "search-open", "data-testid": "search-open",
        "aria-label": `${t("searchOpen")}: ${t(`kind_${result.kind}`)}, ${whereFound(result)}`,
        onclick: () => guard(() => openResult(result)) },
        el("span", { class: "search-kind", "data-testid": "search-kind", text: t(`kind_${result.kind}`) }),
        el("span", { class: "search-where", "data-testid": "search-where", text: whereFound(result) }),
        el("span", { class: "search-meta" }, t("searchBy", { name: result.author_name }), " · ",
          el("time", { datetime: result.created_at, text: when(result.created_at) })),
        el("span", { class: "search-snippet", "data-testid": "search-snippet" }, snippetNodes(result.snippet_html))));
  }

  function renderSearch() {
    const search = state.search;
    const box = $("search-results");
    box.hidden = !search.pager;
    if (!search.pager) { $("search-list").replaceChildren(); return; }
    const done = search.pager.done && !search.busy;
    $("search-title").textContent = search.busy && search.results.length === 0 ? t("searching", { q: search.q })
      : done && search.results.length === 0 ? t("searchNothing", { q: search.q }) : t("searchFound", { q: search.q });
    $("search-list").replaceChildren(...search.results.map(resultNode));
    $("search-more").hidden = search.pager.done;
    $("search-more").disabled = search.busy;
  }

  async function openResult(result) {
    if (result.kind === "message") await openFoundMessage(result);
    else if (result.kind === "thread" || result.kind === "post") await openFoundPost(result);
    else if (result.kind === "mail") await openFoundMail(result);
    else if (result.kind === "file") await download({ id: result.id, name: result.title || result.id });
  }

  /** The room's history loaded back to `seq`, page by page (so what is shown has no hole), a few pages at most. */
  async function loadBackTo(entry, seq) {
    for (let pages = 0; pages < 20 && entry.room; pages += 1) {
      const first = entry.messages.size ? Math.min(...entry.messages.keys()) : Infinity;
      if (first <= seq) return;
      const page = await entry.room.history(Number.isFinite(first) ? { beforeSeq: first, limit: 200 } : { limit: 200 });
      for (const message of page.messages) entry.messages.set(message.seq, message);
      entry.hasMore = Boolean(page.has_more);
      if (page.messages.length === 0) return;
    }
  }

  /** Scroll to an item of a list and show it as found: the class stays until another result is opened. */
  function showFound(node) {
    for (const old of document.querySelectorAll("[data-found]")) { old.removeAttribute("data-found"); old.classList.remove("found"); }
    node.dataset.found = "true";
    node.classList.add("found");
    node.setAttribute("tabindex", "-1");
    node.scrollIntoView({ block: "center" });
    node.focus({ preventScroll: true });
  }

  async function openFoundMessage(result) {
    const entry = state.rooms.get(result.space_id);
    if (!entry) return;
    state.search.openedId = result.id;
    showTab("chat");
    selectRoom(result.space_id);
    if (result.seq !== null && !entry.messages.has(result.seq)) {
      await loadBackTo(entry, result.seq);
      if (state.roomId === result.space_id) renderMessages();
    }
    const node = $("messages").querySelector(`[data-message-id="${CSS.escape(result.id)}"]`);
    if (node) showFound(node);
    else showNotice(t("searchGone"));
  }

  async function openFoundPost(result) {
    if (!result.thread_id) return;
    showTab("forum");
    await openThread(result.thread_id, true);
    const node = result.kind === "post" && result.seq !== null
      ? $("thread").querySelector(`[data-seq="${result.seq}"]`) : $("thread").querySelector('[data-testid="thread-heading"]');
    if (node) showFound(node);
  }

  async function openFoundMail(result) {
    showTab("mail");
    if (state.mail.folder === "supervised") {
      state.mail.folder = "inbox"; // a search finds one's own copies
      await loadMails();
    }
    await openMail(result.id);
    $("mail-read").focus();
  }

  // ---- forum --------------------------------------------------------------------------------------

  function forumId() {
    return state.session && state.session.forum_id;
  }

  function forumReadable() {
    return state.session && state.session.user.role !== "visitor" && forumId();
  }

  async function loadThreads() {
    if (!forumReadable()) { renderThreads(); return; }
    const page = await state.client.forum.listThreads(forumId());
    state.forum.threads = page.threads;
    renderThreads();
  }

  function watchForum() {
    const forum = state.client.forum;
    const refresh = () => guard(loadThreads);
    const reopen = (post) => { if (post.thread_id === state.forum.threadId) guard(() => openThread(post.thread_id, false)); };
    listen(forum, "threadCreated", refresh);
    listen(forum, "threadUpdated", (thread) => { refresh(); if (thread.id === state.forum.threadId) guard(() => openThread(thread.id, false)); });
    listen(forum, "postCreated", (post) => { refresh(); reopen(post); });
    listen(forum, "postEdited", reopen);
    listen(forum, "postDeleted", reopen);
    listen(forum, "postHidden", reopen);
  }

  function renderThreads() {
    const list = $("threads");
    $("new-thread").hidden = !forumReadable();
    if (!state.session) return;
    if (!forumReadable()) { list.replaceChildren(el("li", { class: "empty", text: t("noForum") })); return; }
    if (state.forum.threads.length === 0) { list.replaceChildren(el("li", { class: "empty", text: t("noThreads") })); return; }
    list.replaceChildren(...state.forum.threads.map((summary) => {
      const thread = summary.thread;
      return el("li", {}, el("button", {
        type: "button", "data-testid": "thread-item", "data-thread-id": thread.id,
        "aria-current": thread.id === state.forum.threadId ? "true" : "false",
        class: summary.unread > 0 ? "unread" : "", onclick: () => guard(() => openThread(thread.id, true)),
      },
      el("span", {},
        el("span", { class: "subject" }, thread.pinned ? el("span", { class: "pin", text: t("pinned") }) : null, thread.title),
        el("span", { class: "meta", text: `${t("by", { name: thread.author_name })} · ${t("posts", { count: thread.post_count })}` })),
      summary.unread > 0 ? el("span", { class: "badge", text: summary.unread }) : null));
    }));
  }

  async function openThread(threadId, focus) {
    state.forum.threadId = threadId;
    state.forum.page = await state.client.forum.listPosts(threadId);
    renderThreads();
    renderThread();
    const posts = state.forum.page.posts || [];
    const last = posts.length ? posts[posts.length - 1].seq : 0;
    if (last > (state.forum.page.last_read_seq || 0)) {
      await guard(async () => { await state.client.forum.markThreadRead(threadId, last); await loadThreads(); });
    }
    if (focus) $("thread").focus();
  }

  function renderThread() {
    const box = $("thread");
    const page = state.forum.page;
    if (!page || !state.session) { box.replaceChildren(el("p", { class: "empty", text: t("pickThread") })); return; }
    const thread = page.thread;
    const me = state.session.user.id;
    const canPost = !thread.locked && state.session.user.role !== "visitor";
    box.setAttribute("tabindex", "-1");
    box.replaceChildren(...[
      el("h3", { "data-testid": "thread-heading", text: thread.title }),
      el("header", {}, `${t("by", { name: thread.author_name })} · `, el("time", { datetime: thread.created_at, text: when(thread.created_at) })),
      el("div", { class: "body", "data-testid": "thread-text", html: thread.body_html }),
      attachmentLinks(thread.attachments),
      thread.author_id === me ? null : el("div", { class: "actions" }, el("button", {
        type: "button", class: "link", "data-testid": "thread-report",
        onclick: () => openReportDialog({ kind: "thread", id: thread.id }, { kind: "thread", name: thread.author_name, text: thread.title }),
      }, t("report"))),
      el("ol", { class: "posts", "data-testid": "posts" }, (page.posts || []).map((post) => el("li", { class: "post", "data-testid": "post", "data-post-id": post.id,
        "data-seq": post.seq },
        el("header", {}, el("strong", { text: post.author_name }), " · ", el("time", { datetime: post.created_at, text: when(post.created_at) })),
        post.deleted ? el("p", { class: "deleted", text: t("deletedMessage") })
          : post.hidden ? el("p", { class: "deleted", "data-testid": "post-hidden", text: t("hiddenMessage") })
            : el("div", { class: "body", html: post.body_html }),
        post.deleted || post.hidden ? null : attachmentLinks(post.attachments),
        post.deleted ? null : el("div", { class: "actions" },
          post.author_id === me || post.hidden ? null : el("button", {
            type: "button", class: "link", "data-testid": "post-report",
            onclick: () => openReportDialog({ kind: "post", id: post.id }, { kind: "post", name: post.author_name, text: post.body }),
          }, t("report")),
          isStaff() ? el("button", {
            type: "button", class: "link", "data-testid": "post-hide",
            onclick: () => guard(async () => { await state.client.moderation.hidePost(post.id, !post.hidden); await openThread(thread.id, false); }),
          }, post.hidden ? t("unhide") : t("hide")) : null)))),
      thread.locked ? el("p", { class: "empty", text: t("locked") }) : null,
      canPost ? el("form", { "data-testid": "post-form", onsubmit: (event) => guard(() => submitPost(event, thread.id)) },
        el("label", { for: "post-body", text: t("replyInThread") }),
        el("textarea", { id: "post-body", "data-testid": "post-body", rows: "3", maxlength: "20000", required: true }),
        el("button", { type: "submit", "data-testid": "post-submit" }, t("postReply"))) : null,
    ].filter(Boolean));
  }

  async function submitPost(event, threadId) {
    event.preventDefault();
    const body = $("post-body");
    if (!body.value.trim()) return;
    await state.client.forum.createPost(threadId, { body: body.value });
    body.value = "";
    await openThread(threadId, false);
  }

  async function submitThread(event) {
    event.preventDefault();
    const title = $("thread-title");
    const body = $("thread-body");
    if (!title.value.trim()) return;
    const thread = await state.client.forum.createThread(forumId(), { title: title.value, body: body.value });
    title.value = "";
    body.value = "";
    $("new-thread").open = false;
    await loadThreads();
    await openThread(thread.id, true);
  }

  // ---- mail ---------------------------------------------------------------------------------------

  async function loadMails() {
    if (state.mail.folder === "supervised") {
      // Teachers read every mail their project's pupils send or receive: the supervision view (no copies of their own).
      const page = await state.client.moderation.supervisedMail(state.session.project_id);
      state.mail.copies = page.mails.map((mail) => ({ mail, owner_id: null, folder: "supervised", read: true }));
    } else {
      const page = await state.client.mail.list({ folder: state.mail.folder, projectId: state.session.project_id });
      state.mail.copies = page.copies;
    }
    renderMails();
  }

  async function loadMailUnread() {
    state.mail.unread = await state.client.mail.unreadCount();
    renderMailUnread();
  }

  function watchMail() {
    const mail = state.client.mail;
    listen(mail, "received", () => { if (state.mail.folder === "inbox") guard(loadMails); });
    listen(mail, "unread", (count) => {
      state.mail.unread = count;
      renderMailUnread();
    });
    listen(mail, "removed", (removed) => {
      if (state.mail.mailId === removed.mail_id) { state.mail.mailId = null; state.mail.current = null; renderMail(); }
      guard(loadMails);
      guard(loadMailUnread);
    });
  }

  function renderMailUnread() {
    const badge = $("mail-unread");
    badge.textContent = state.mail.unread;
    badge.setAttribute("aria-label", t("unreadIn", { count: state.mail.unread }));
    badge.hidden = !state.mail.unread;
  }

  function renderMails() {
    const list = $("mails");
    if (!state.session) return;
    for (const button of document.querySelectorAll(".folder[data-folder]")) {
      button.setAttribute("aria-pressed", String(button.dataset.folder === state.mail.folder));
    }
    $("folder-supervised").hidden = !isStaff();
    $("compose-open").hidden = state.session.user.role === "visitor";
    $("mail-note").hidden = state.session.user.role !== "visitor";
    if (state.mail.copies.length === 0) { list.replaceChildren(el("li", { class: "empty", text: t("noMail") })); return; }
    list.replaceChildren(...state.mail.copies.map((copy) => {
      const mail = copy.mail;
      const to = mail.to.map((person) => person.name).join(", ");
      const who = state.mail.folder === "supervised" ? t("fromTo", { from: mail.sender.name, to })
        : state.mail.folder === "sent" ? t("toNames", { names: to }) : t("from", { name: mail.sender.name });
      return el("li", {}, el("button", {
        type: "button", "data-testid": "mail-item", "data-mail-id": mail.id, class: copy.read ? "" : "unread",
        "aria-current": mail.id === state.mail.mailId ? "true" : "false",
        onclick: () => guard(() => openMail(mail.id)),
      }, el("span", {}, el("span", { class: "subject", text: mail.subject }), el("span", { class: "from", text: who })),
      el("time", { datetime: mail.created_at, text: when(mail.created_at) })));
    }));
  }

  async function openMail(mailId) {
    state.mail.mailId = mailId;
    state.mail.conversation = null;
    if (state.mail.folder === "supervised") {
      state.mail.current = state.mail.copies.find((other) => other.mail.id === mailId) || null;
      $("mail-compose").hidden = true;
      renderMails();
      renderMail();
      return;
    }
    let copy = await state.client.mail.get(mailId);
    if (!copy.read && copy.folder !== "sent") copy = await state.client.mail.read(mailId, true);
    state.mail.current = copy;
    state.mail.copies = state.mail.copies.map((other) => (other.mail.id === mailId ? copy : other));
    $("mail-compose").hidden = true;
    renderMails();
    renderMail();
  }

  function renderMail() {
    const box = $("mail-read");
    const copy = state.mail.current;
    if (!copy || !state.session) { box.replaceChildren(el("p", { class: "empty", text: t("pickMail") })); return; }
    const mail = copy.mail;
    box.replaceChildren(...[
      el("h3", { "data-testid": "mail-subject-shown", text: mail.subject }),
      el("header", {},
        el("p", { text: t("from", { name: mail.sender.name }) }),
        el("p", { text: t("toNames", { names: mail.to.map((person) => person.name).join(", ") }) }),
        el("time", { datetime: mail.created_at, text: when(mail.created_at) })),
      el("div", { class: "body", "data-testid": "mail-body-shown", html: mail.body_html }),
      attachmentLinks(mail.attachments),
      el("div", { class: "actions" },
        mail.sender.user_id === state.session.user.id || copy.folder === "supervised" ? null : el("button", {
          type: "button", class: "link", "data-testid": "mail-report",
          onclick: () => openReportDialog({ kind: "mail", id: mail.id }, { kind: "mail", name: mail.sender.name, text: mail.subject }),
        }, t("report")),
        copy.folder === "supervised" ? el("button", {
          type: "button", class: "link", "data-testid": "mail-conversation",
          onclick: () => guard(async () => {
            state.mail.conversation = await state.client.moderation.conversation(state.session.project_id, mail.conversation_id);
            renderMail();
          }),
        }, t("showConversation")) : null,
        isStaff() && copy.folder === "supervised" ? el("button", {
          type: "button", class: "link danger", "data-testid": "mail-remove",
          onclick: () => guard(async () => {
            await state.client.moderation.removeMail(mail.id);
            showNotice(t("mailRemoved"), "mail-removed");
            state.mail.current = null;
            state.mail.mailId = null;
            await loadMails();
            renderMail();
          }),
        }, t("removeMail")) : null),
      state.mail.conversation ? el("section", { class: "conversation-view", "data-testid": "mail-conversation-view" },
        el("h4", { text: t("conversationTitle") }),
        el("ol", { class: "snapshots" }, state.mail.conversation.mails.map((other) => el("li", { class: other.id === mail.id ? "snapshot reported" : "snapshot" },
          el("header", {}, t("fromTo", { from: other.sender.name, to: other.to.map((person) => person.name).join(", ") }), " · ",
            el("time", { datetime: other.created_at, text: when(other.created_at) })),
          el("p", { class: "subject", text: other.subject }),
          el("div", { class: "body", html: other.body_html }))))) : null,
    ].filter(Boolean));
  }

  function renderRecipients() {
    const select = $("mail-to");
    const me = state.session && state.session.user.id;
    select.replaceChildren(...state.members.filter((member) => member.user_id && member.user_id !== me)
      .map((member) => el("option", { value: member.user_id, text: `${member.display_name} (${roleName(member.role === "admin" ? "teacher" : member.role)})` })));
  }

  async function sendMail(event) {
    event.preventDefault();
    const to = [...$("mail-to").selectedOptions].map((option) => option.value);
    const subject = $("mail-subject").value;
    const body = $("mail-body").value;
    if (to.length === 0 || !subject.trim() || !body.trim()) return;
    await state.client.mail.send({ projectId: state.session.project_id, to, subject, body });
    $("mail-compose").reset();
    $("mail-compose").hidden = true;
    setStatus("mailSent");
    setTimeout(() => setStatus(state.status), 4000);
    if (state.mail.folder === "sent") await loadMails();
  }

  // ---- reporting ----------------------------------------------------------------------------------

  /** Open the report dialog about `target` ({kind, id, roomId?}); `what` describes it: {kind, name, text}. */
  function openReportDialog(target, what) {
    state.reporting = { target, what };
    $("report-form").reset();
    renderReportDialog();
    $("report-dialog").showModal();
    const first = $("report-reasons").querySelector("input");
    if (first) first.focus();
  }

  function renderReportDialog() {
    const reasons = $("report-reasons");
    const chosen = reasons.querySelector("input:checked");
    reasons.replaceChildren(...REASONS.map((reason) => el("label", { class: "check" },
      el("input", { type: "radio", name: "report-reason", value: reason, "data-testid": "report-reason", required: true,
        checked: chosen ? chosen.value === reason : false }),
      " ", t(`reason_${reason}`))));
    const what = state.reporting && state.reporting.what;
    $("report-what").textContent = what
      ? t("reportWhat", { kind: t(`kind_${what.kind}`), name: what.name, text: shorten(what.text || "", 120) }) : "";
  }

  async function submitReport(event) {
    event.preventDefault();
    const reporting = state.reporting;
    const chosen = $("report-reasons").querySelector("input:checked");
    if (!reporting || !chosen) return;
    const note = $("report-note").value.trim();
    try {
      await state.client.moderation.report(reporting.target, chosen.value, {
        ...(note ? { note } : {}), serious: $("report-serious").checked,
      });
      showNotice(t("reportReceived"), "report-received");
    } catch (error) {
      if (error && error.code === "report.duplicate") showNotice(t("reportDuplicate"), "report-duplicate");
      else showError(error);
    } finally {
      state.reporting = null;
      $("report-dialog").close();
    }
  }

  // ---- moderation: the queue, a report, the actions ------------------------------------------------

  function watchModeration() {
    const moderation = state.client.moderation;
    listen(moderation, "reportCreated", (report) => reportArrived(report));
    listen(moderation, "reportUpdated", (report) => reportArrived(report));
    listen(moderation, "reportEscalated", (report) => reportArrived(report));
    listen(moderation, "reportHandled", (mine) => {
      showNotice(t("reportHandled", { reason: t(`reason_${mine.reason}`), state: t(`state_${mine.state}`) }), "report-handled");
    });
    listen(moderation, "safeguarding", (settings) => {
      state.moderation.safeguarding = settings;
      renderSafeguarding();
    });
  }

  /** A report pushed live: into the open set (the badge), the queue shown, and the detail if it is the one open. */
  function reportArrived(report) {
    if (report.project_id && report.project_id !== state.session.project_id) return;
    const mod = state.moderation;
    if (report.state === "open") mod.open.set(report.id, report);
    else mod.open.delete(report.id);
    const index = mod.reports.findIndex((other) => other.id === report.id);
    if (report.state === mod.filter) {
      if (index >= 0) mod.reports[index] = report;
      else mod.reports.unshift(report);
    } else if (index >= 0) {
      mod.reports.splice(index, 1);
    }
    if (mod.reportId === report.id) mod.current = report;
    renderModerationTab();
    renderReports();
    renderReportDetail();
  }

  async function loadOpenReports() {
    const page = await state.client.moderation.reports(state.session.project_id, { state: "open", limit: 100 });
    state.moderation.open = new Map(page.reports.map((report) => [report.id, report]));
    if (state.moderation.filter === "open") state.moderation.reports = page.reports;
    renderModerationTab();
    renderReports();
  }

  async function loadReports() {
    const mod = state.moderation;
    if (mod.filter === "open") return loadOpenReports();
    const page = await state.client.moderation.reports(state.session.project_id, { state: mod.filter, limit: 100 });
    mod.reports = page.reports;
    renderReports();
    return undefined;
  }

  function renderModerationTab() {
    const tab = $("tab-moderation");
    tab.hidden = !state.session || !isStaff();
    const count = state.moderation.open.size;
    const badge = $("open-reports");
    badge.textContent = count;
    badge.setAttribute("aria-label", t("unreadIn", { count }));
    badge.hidden = !count || tab.hidden;
  }

  function memberName(userId) {
    const member = state.members.find((m) => m.user_id === userId);
    return member ? member.display_name : userId;
  }

  function renderReports() {
    const list = $("reports");
    for (const button of document.querySelectorAll(".report-filter")) {
      button.setAttribute("aria-pressed", String(button.dataset.state === state.moderation.filter));
    }
    if (!state.session || !isStaff()) { list.replaceChildren(); return; }
    const reports = state.moderation.reports;
    if (reports.length === 0) { list.replaceChildren(el("li", { class: "empty", text: t("noReports") })); return; }
    list.replaceChildren(...reports.map((report) => el("li", {}, el("button", {
      type: "button", "data-testid": "report-item", "data-report-id": report.id,
      "aria-current": report.id === state.moderation.reportId ? "true" : "false",
      class: report.serious ? "serious" : "", onclick: () => openModerationReport(report.id),
    }, el("span", {},
      el("span", { class: "subject" }, report.serious ? el("span", { class: "pin", text: t("serious") }) : null,
        t(`reason_${report.reason}`)),
      el("span", { class: "from", text: `${t(`kind_${report.item.kind}`)} · ${t("reportedAuthor", { name: report.item.author_name })}` })),
    el("time", { datetime: report.created_at, text: when(report.created_at) })))));
  }

  function openModerationReport(reportId) {
    const mod = state.moderation;
    if (mod.reportId !== reportId) { mod.done = []; mod.actions = []; }
    mod.reportId = reportId;
    mod.current = mod.reports.find((report) => report.id === reportId) || mod.open.get(reportId) || null;
    renderReports();
    renderReportDetail();
    $("report-detail").focus();
    // The queue's copy may be older than the report: fetch it as it is now.
    guard(async () => {
      const fresh = await state.client.moderation.getReport(reportId);
      if (state.moderation.reportId === reportId) { state.moderation.current = fresh; renderReportDetail(); }
    });
  }

  function snapshotNode(snapshot, reported) {
    return el("li", { class: reported ? "snapshot reported" : "snapshot", "data-testid": reported ? "report-snapshot" : "report-context-item" },
      el("header", {}, el("strong", { text: snapshot.author_name }), " · ",
        el("time", { datetime: snapshot.created_at, text: when(snapshot.created_at) })),
      snapshot.title ? el("p", { class: "subject", text: snapshot.title }) : null,
      snapshot.text === null || snapshot.text === undefined ? null
        : reported ? el("p", { class: "text", "data-testid": "report-item-text", text: snapshot.text })
          : el("p", { class: "text", text: snapshot.text }),
      (snapshot.attachments || []).length
        ? el("p", { class: "meta", text: snapshot.attachments.map((file) => file.name).join(", ") }) : null);
  }

  function renderReportDetail() {
    const box = $("report-detail");
    const report = state.moderation.current;
    if (!state.session || !report) { box.replaceChildren(el("p", { class: "empty", text: t("pickReport") })); return; }
    const item = report.item;
    const open = report.state === "open";
    const context = report.context || [];
    const hideable = item.kind === "message" || item.kind === "post";
    const done = state.moderation.done;
    box.replaceChildren(...[
      el("h3", { "data-testid": "report-reason-shown" }, report.serious ? el("span", { class: "pin", text: t("serious") }) : null,
        t(`reason_${report.reason}`)),
      el("p", { class: "meta" },
        el("span", { class: "state", "data-testid": "report-state", "data-state": report.state, text: t(`state_${report.state}`) }), " · ",
        t(`kind_${item.kind}`), " · ", t("reportedAt", { when: when(report.created_at) })),
      el("p", { "data-testid": "report-reporter",
        text: report.automatic ? t("automatic") : t("reportedBy", { name: report.reporter_name || memberName(report.reporter_id) }) }),
      report.escalated_at ? el("p", { class: "meta", text: t("escalated") }) : null,
      report.note ? el("p", { class: "quote", "data-testid": "report-note-shown", text: t("reporterNote", { note: report.note }) }) : null,
      el("h4", { text: t("asReported") }),
      el("ol", { class: "snapshots" }, snapshotNode(item, true)),
      context.length ? el("h4", { text: t("context") }) : null,
      context.length ? el("ol", { class: "snapshots", "data-testid": "report-context" },
        context.map((snapshot) => snapshotNode(snapshot, snapshot.id === item.id))) : null,
      report.resolution ? el("p", { "data-testid": "report-resolution", text: t("decidedBy", {
        state: t(`state_${report.resolution.state}`), name: report.resolution.by_name, note: report.resolution.note || "—" }) }) : null,
      report.resolution && report.resolution.action ? el("p", { class: "meta", text: t("actionTaken", { action: report.resolution.action }) }) : null,
      done.length ? el("p", { class: "meta", "data-testid": "report-done", text: t("actionTaken", { action: done.join(", ") }) }) : null,
      open ? el("div", { class: "moderation-actions" },
        el("div", { class: "row" },
          hideable ? el("button", { type: "button", class: "secondary", "data-testid": "moderate-hide",
            onclick: () => guard(() => moderate(report, "hidden")) }, t("hide")) : null,
          el("button", { type: "button", class: "secondary", "data-testid": "moderate-delete",
            onclick: () => guard(() => moderate(report, "deleted")) }, t("delete"))),
        el("form", { class: "row mute", "data-testid": "mute-form",
          onsubmit: (event) => { event.preventDefault(); guard(() => muteAuthor(report)); } },
          el("label", { for: "mute-minutes", text: t("muteFor", { name: item.author_name }) }),
          el("input", { type: "number", id: "mute-minutes", "data-testid": "mute-minutes", min: "1", max: "43200",
            value: String(state.moderation.muteMinutes || 10), required: true }),
          el("span", { text: t("minutes") }),
          el("button", { type: "submit", "data-testid": "mute-button" }, t("mute"))),
        el("label", { for: "decision-note", text: t("decisionNote") }),
        el("textarea", { id: "decision-note", "data-testid": "decision-note", rows: "2", maxlength: "1000" }),
        el("div", { class: "row" },
          el("button", { type: "button", "data-testid": "resolve-button",
            onclick: () => guard(() => decide(report, "resolved")) }, t("resolve")),
          el("button", { type: "button", class: "secondary", "data-testid": "dismiss-button",
            onclick: () => guard(() => decide(report, "dismissed")) }, t("dismiss")))) : null,
    ].filter(Boolean));
  }

  /** Hide or delete the reported item, whatever its kind. */
  async function moderate(report, what) {
    const item = report.item;
    const client = state.client;
    if (what === "hidden") {
      if (item.kind === "message") await client.moderation.hideMessage(item.space_id, item.id, true);
      else if (item.kind === "post") await client.moderation.hidePost(item.id, true);
      else throw new Error(t("cannotHide"));
    } else if (item.kind === "message") {
      const room = await client.joinRoom(item.space_id);
      await room.delete(item.id);
    } else if (item.kind === "post") {
      await client.forum.deletePost(item.id);
    } else if (item.kind === "thread") {
      await client.forum.deleteThread(item.id);
    } else if (item.kind === "mail") {
      await client.moderation.removeMail(item.id);
    } else if (item.kind === "file") {
      await client.deleteFile(item.id);
    }
    state.moderation.done.push(what === "hidden" ? t("hide") : t("delete"));
    state.moderation.actions.push(what);
    showNotice(t(what === "hidden" ? "hiddenNotice" : "deletedNotice"), `moderate-${what}`);
    renderReportDetail();
  }

  async function muteAuthor(report) {
    const minutes = Math.max(1, Math.round(Number($("mute-minutes").value) || 0));
    state.moderation.muteMinutes = minutes;
    const muted = await state.client.moderation.mute(state.session.project_id, report.reported_id || report.item.author_id, minutes);
    const ends = (muted.mutes || []).map((mute) => mute.until).sort();
    const until = ends.length ? ends[ends.length - 1] : new Date(Date.now() + minutes * 60000).toISOString();
    state.moderation.done.push(`${t("mute")} (${minutes} ${t("minutes")})`);
    state.moderation.actions.push("muted");
    showNotice(t("mutedNotice", { name: report.item.author_name, until: when(until) }), "muted");
    renderReportDetail();
  }

  async function decide(report, decision) {
    const note = $("decision-note").value.trim();
    const actions = state.moderation.actions;
    const decided = await state.client.moderation.decideReport(report.id, {
      state: decision,
      ...(decision === "resolved" && actions.length ? { action: actions.join(",") } : {}),
      ...(note ? { note } : {}),
    });
    state.moderation.actions = [];
    state.moderation.done = [];
    reportArrived(decided);
  }

  // ---- safeguarding settings ----------------------------------------------------------------------

  async function loadSafeguarding() {
    state.moderation.safeguarding = await state.client.moderation.safeguarding(state.session.project_id);
    renderSafeguarding();
  }

  /** ISO weekday names in the page's language: 1 Monday ... 7 Sunday (5 January 2026 was a Monday). */
  function weekday(day) {
    return new Intl.DateTimeFormat(state.lang, { weekday: "short", timeZone: "UTC" }).format(new Date(Date.UTC(2026, 0, 4 + day)));
  }

  function renderSafeguarding() {
    const box = $("safeguarding");
    box.hidden = !state.session || !isStaff();
    const settings = state.moderation.safeguarding;
    if (box.hidden || !settings) return;
    if (document.activeElement && box.contains(document.activeElement)) return; // being edited
    const hours = settings.chat_hours;
    $("hours-on").checked = Boolean(hours);
    const days = hours ? hours.days : [1, 2, 3, 4, 5];
    $("hours-days").replaceChildren(...[1, 2, 3, 4, 5, 6, 7].map((day) => el("label", { class: "check day" },
      el("input", { type: "checkbox", value: String(day), "data-testid": "hours-day", checked: days.includes(day) }), " ", weekday(day))));
    if (hours) {
      $("hours-start").value = hours.start;
      $("hours-end").value = hours.end;
      $("hours-zone").value = hours.timezone;
    }
    $("word-filter").value = settings.word_filter;
    $("custom-words").value = (settings.custom_words || []).join("\n");
    $("allowed-words").value = (settings.allowed_words || []).join("\n");
    $("mail-policy").value = settings.mail_policy;
  }

  // ---- the audit log (admins) ---------------------------------------------------------------------

  async function loadAudit(more) {
    const mod = state.moderation;
    const page = await state.client.moderation.auditLog(state.session.project_id,
      { limit: 50, ...(more && mod.auditCursor ? { cursor: mod.auditCursor } : {}) });
    mod.audit = more ? mod.audit.concat(page.entries) : page.entries;
    mod.auditCursor = page.next_cursor;
    renderAudit();
  }

  function renderAudit() {
    const box = $("audit");
    box.hidden = !state.session || state.role !== "admin";
    if (box.hidden) return;
    const entries = state.moderation.audit;
    $("audit-more").hidden = !state.moderation.auditCursor;
    $("audit-entries").replaceChildren(...(entries.length === 0 ? [el("li", { class: "empty", text: t("auditEmpty") })]
      : entries.map((entry) => el("li", { "data-testid": "audit-entry", "data-action": entry.action },
        el("time", { datetime: entry.at, text: when(entry.at) }), " ",
        t("auditEntry", { actor: entry.actor_name, action: entry.action, target: `${entry.target_kind} ${entry.target_id}` }),
        entry.note ? el("span", { class: "meta", text: ` · ${entry.note}` }) : null))));
  }

  async function saveSafeguarding(event) {
    event.preventDefault();
    const days = [...$("hours-days").querySelectorAll("input:checked")].map((box) => Number(box.value));
    const chatHours = $("hours-on").checked
      ? { timezone: $("hours-zone").value.trim(), days, start: $("hours-start").value, end: $("hours-end").value } : null;
    const words = (id) => $(id).value.split("\n").map((word) => word.trim()).filter(Boolean);
    const customWords = words("custom-words");
    const allowedWords = words("allowed-words");
    state.moderation.safeguarding = await state.client.moderation.setSafeguarding(state.session.project_id, {
      chatHours, wordFilter: $("word-filter").value, customWords, allowedWords, mailPolicy: $("mail-policy").value,
    });
    document.activeElement.blur();
    renderSafeguarding();
    showNotice(t("saved"), "safeguarding-saved");
  }

  // ---- privacy: exports, erasure, retention ---------------------------------------------------------

  function watchPrivacy() {
    listen(state.client.privacy, "erased", (erased) => {
      if (!state.session || erased.project_id !== state.session.project_id) return;
      if (erased.user_id === state.session.user.id) {
        showError(new Error(t("youWereErased")), true);
        guard(signOut);
        return;
      }
      // Rooms drop the person's presence by themselves (a presence event); the lists here follow.
      state.members = state.members.filter((member) => member.user_id !== erased.user_id);
      renderMembers();
      renderRecipients();
    });
  }

  /** Download an export (one's own without userId) and say what was saved. */
  async function exportData(userId) {
    showNotice(t("exporting"), "exporting");
    const saved = await state.client.privacy.downloadExport(state.session.project_id, userId);
    showNotice(t("exported", { name: saved.filename, size: humanSize(saved.size) }), "exported");
  }

  function renderMembers() {
    const box = $("members");
    box.hidden = !state.session || !isAdmin();
    if (box.hidden) { $("member-list").replaceChildren(); return; }
    const me = state.session.user.id;
    const members = [...state.members].sort((a, b) => a.display_name.localeCompare(b.display_name));
    $("member-list").replaceChildren(...(members.length === 0 ? [el("li", { class: "empty", text: t("noMembers") })]
      : members.map((member) => el("li", { "data-testid": "member", "data-user-id": member.user_id },
        el("span", {},
          el("strong", { text: member.user_id === me ? `${member.display_name} (${t("you")})` : member.display_name }), " ",
          el("span", { class: "meta", text: [roleName(member.role === "admin" ? "teacher" : member.role), member.school]
            .filter(Boolean).join(" · ") })),
        el("span", { class: "actions" },
          el("button", { type: "button", class: "link", "data-testid": "member-export",
            "aria-label": t("memberExportLabel", { name: member.display_name }),
            onclick: () => guard(() => exportData(member.user_id)) }, t("memberExport")),
          member.user_id === me ? null : el("button", { type: "button", class: "link danger", "data-testid": "member-erase",
            "aria-label": t("memberEraseLabel", { name: member.display_name }),
            onclick: () => guard(() => askErasure(member)) }, t("memberErase")))))));
  }

  /** The first step: the server says what would go, and gives the confirmation the second step needs. */
  async function askErasure(member) {
    const request = await state.client.privacy.requestErasure(state.session.project_id, member.user_id);
    state.erasing = { member, request };
    $("erase-understood").checked = false;
    renderEraseDialog();
    $("erase-dialog").showModal();
    $("erase-cancel").focus();
  }

  function renderEraseDialog() {
    const erasing = state.erasing;
    if (!erasing) return;
    const name = erasing.member.display_name;
    const summary = erasing.request.summary || {};
    $("erase-title").textContent = t("eraseTitle", { name });
    const known = ["messages", "threads", "posts", "mails", "mail_copies", "files", "reports"];
    const lines = Object.entries(summary).filter(([, n]) => typeof n === "number" && n > 0)
      .sort(([a], [b]) => (known.indexOf(a) + 1 || 99) - (known.indexOf(b) + 1 || 99))
      .map(([kind, n]) => el("li", { "data-testid": "erase-summary-item", "data-kind": kind,
        text: known.includes(kind) ? t(`summary_${kind}`, { n }) : t("summary_other", { kind, n }) }));
    $("erase-summary").replaceChildren(...(lines.length ? lines : [el("li", { text: t("eraseNothing") })]));
    $("erase-expires").textContent = erasing.request.expires_at ? t("eraseExpires", { when: when(erasing.request.expires_at) }) : "";
    $("erase-understood-text").textContent = t("eraseUnderstood", { name });
    $("erase-confirm").disabled = !$("erase-understood").checked;
  }

  /** The second step, once the admin has read the summary and ticked the box. */
  async function confirmErasure(event) {
    event.preventDefault();
    const erasing = state.erasing;
    if (!erasing || !$("erase-understood").checked) return;
    const { member, request } = erasing;
    await state.client.privacy.confirmErasure(state.session.project_id, member.user_id, request.confirmation);
    state.erasing = null;
    $("erase-dialog").close();
    state.members = state.members.filter((m) => m.user_id !== member.user_id);
    renderMembers();
    renderRecipients();
    showNotice(t("erasedNotice", { name: member.display_name }), "erased");
  }

  async function loadRetention() {
    state.retention = await state.client.privacy.retention(state.session.project_id);
    renderRetention();
  }

  const RETENTION_FIELDS = [["retention-chat", "chat_retention_days"], ["retention-forum", "forum_retention_days"],
    ["retention-mail", "mail_retention_days"], ["retention-files", "file_retention_days"]];

  function renderRetention() {
    const box = $("retention");
    box.hidden = !state.session || !isAdmin();
    const retention = state.retention;
    if (box.hidden || !retention) return;
    const hold = $("retention-hold");
    hold.hidden = !retention.held && !retention.delete_after;
    hold.textContent = retention.held ? t("retentionHeld", { reason: retention.hold_reason || "—" })
      : retention.delete_after ? t("retentionDeleteAfter", { when: when(retention.delete_after) }) : "";
    if (document.activeElement && box.contains(document.activeElement)) return; // being edited
    for (const [id, field] of RETENTION_FIELDS) {
      $(id).value = retention[field] === null || retention[field] === undefined ? "" : String(retention[field]);
    }
  }

  async function saveRetention(event) {
    event.preventDefault();
    const days = (id) => {
      const value = $(id).value.trim();
      return value === "" ? null : Math.round(Number(value));
    };
    const project = await state.client.privacy.setRetention(state.session.project_id, {
      chatDays: days("retention-chat"), forumDays: days("retention-forum"),
      mailDays: days("retention-mail"), fileDays: days("retention-files"),
    });
    state.project = project;
    state.retention = { ...state.retention, ...Object.fromEntries(RETENTION_FIELDS.map(([, field]) => [field, project[field]])),
      held: project.held, hold_reason: project.hold_reason, delete_after: project.delete_after };
    document.activeElement.blur();
    renderRetention();
    showNotice(t("saved"), "retention-saved");
  }

  // ---- tabs and wiring ----------------------------------------------------------------------------

  function showTab(name) {
    for (const tab of document.querySelectorAll(".tab")) {
      tab.setAttribute("aria-current", tab.dataset.tab === name ? "page" : "false");
    }
    for (const panel of ["chat", "forum", "mail", "moderation"]) $(`panel-${panel}`).hidden = panel !== name;
    if (name === "chat") markRead();
    if (name === "moderation" && state.session && isStaff()) guard(loadReports);
  }

  function wire() {
    $("lang-switch").addEventListener("change", (event) => {
      localStorage.setItem("twinspace-demo-lang", event.target.value);
      applyLanguage(event.target.value);
    });
    $("logout").addEventListener("click", () => guard(signOut));
    for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
    $("composer").addEventListener("submit", sendMessage);
    $("message-input").addEventListener("input", () => { typing(); offerMentions(); });
    $("message-input").addEventListener("blur", () => closeMentions());
    $("message-input").addEventListener("keydown", (event) => {
      mentionKeys(event);
      if (event.defaultPrevented) return;
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $("composer").requestSubmit();
      }
    });
    $("file-input").addEventListener("change", () => uploadChosenFile());
    $("reply-cancel").addEventListener("click", () => { state.replyTo = null; renderReplying(); });
    $("older").addEventListener("click", () => guard(loadOlder));
    $("search-form").addEventListener("submit", (event) => guard(() => startSearch(event)));
    $("search-more").addEventListener("click", () => guard(moreResults));
    $("search-close").addEventListener("click", () => {
      state.search = freshSearch();
      renderSearch();
      $("search-input").focus();
    });
    $("thread-form").addEventListener("submit", (event) => guard(() => submitThread(event)));
    $("poll-form").addEventListener("submit", (event) => guard(() => submitPoll(event)));
    for (const button of document.querySelectorAll(".folder[data-folder]")) {
      button.addEventListener("click", () => guard(async () => {
        state.mail.folder = button.dataset.folder;
        state.mail.conversation = null;
        state.mail.current = null;
        state.mail.mailId = null;
        renderMail();
        await loadMails();
      }));
    }
    $("compose-open").addEventListener("click", () => { $("mail-compose").hidden = false; $("mail-to").focus(); });
    $("compose-cancel").addEventListener("click", () => { $("mail-compose").reset(); $("mail-compose").hidden = true; });
    $("mail-compose").addEventListener("submit", (event) => guard(() => sendMail(event)));
    $("report-form").addEventListener("submit", (event) => guard(() => submitReport(event)));
    $("report-cancel").addEventListener("click", () => { state.reporting = null; $("report-dialog").close(); });
    $("rules-form").addEventListener("submit", (event) => guard(() => saveRoomRules(event)));
    $("safeguarding-form").addEventListener("submit", (event) => guard(() => saveSafeguarding(event)));
    $("audit").addEventListener("toggle", () => { if ($("audit").open) guard(() => loadAudit(false)); });
    $("audit-more").addEventListener("click", () => guard(() => loadAudit(true)));
    $("export-mine").addEventListener("click", () => guard(() => exportData()));
    $("retention-form").addEventListener("submit", (event) => guard(() => saveRetention(event)));
    $("erase-understood").addEventListener("change", () => { $("erase-confirm").disabled = !$("erase-understood").checked; });
    $("erase-form").addEventListener("submit", (event) => guard(() => confirmErasure(event)));
    $("erase-cancel").addEventListener("click", () => { state.erasing = null; $("erase-dialog").close(); });
    $("erase-dialog").addEventListener("close", () => { state.erasing = null; });
    for (const button of document.querySelectorAll(".report-filter")) {
      button.addEventListener("click", () => guard(async () => {
        state.moderation.filter = button.dataset.state;
        renderReports();
        await loadReports();
      }));
    }
    document.addEventListener("visibilitychange", markRead);
    setInterval(() => {
      renderTyping();
      const box = $("write-state");
      if (!box.hidden && box.dataset.state === "slow_mode") renderWriteState(); // the countdown
    }, 1000);
  }

  async function start() {
    wire();
    applyLanguage(pickLanguage());
    await guard(loadPeople);
    if (typeof window.Twinspace === "undefined") {
      showError(new Error(t("sdkMissing")), true);
      return;
    }
    const again = sessionStorage.getItem("twinspace-demo-user");
    if (again && (state.people || []).some((person) => person.key === again)) await guard(() => signIn(again));
    document.body.dataset.ready = "true";
  }

  start();
})();
