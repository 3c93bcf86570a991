// Bahasa Indonesia first, English as a switch (stored in localStorage). Static text in the pages
// carries data-i18n="key" (textContent), data-i18n-ph (placeholder) or data-i18n-label (aria-label).

const id = {
  'app.title': 'Layanan Bantuan Polisi', 'app.polda': 'Polda Sumatera Selatan', 'lang.switch': 'English',
  'nav.report': 'Lapor', 'nav.track': 'Lacak laporan', 'nav.console': 'Konsol', 'nav.board': 'Pantau',
  'nav.admin': 'Admin', 'nav.audit': 'Audit', 'nav.staff': 'Masuk petugas', 'nav.logout': 'Keluar', 'nav.main': 'Navigasi',
  'foot.wa': 'WhatsApp Banpol: 0813-70002-110', 'foot.110': 'Darurat: 110',
  'call110': 'Keadaan darurat? Telepon 110',
  'cat.crime': 'Peristiwa Tindak Pidana', 'cat.information': 'Informasi', 'cat.feedback': 'Kritik dan Saran', 'cat.appreciation': 'Apresiasi',
  'cat.crime.help': 'Kejahatan yang sedang atau sudah terjadi: pencurian, perampokan, penganiayaan, penipuan.',
  'cat.information.help': 'Pertanyaan tentang layanan polisi: SKCK, SIM, surat kehilangan, izin keramaian.',
  'cat.feedback.help': 'Kritik atau saran untuk kepolisian. Pengaduan tentang perilaku petugas diteruskan ke Propam.',
  'cat.appreciation.help': 'Pujian untuk satuan atau petugas polisi yang membantu Anda.',
  'f.heading': 'Laporkan kepada polisi', 'f.intro': 'Isi formulir di bawah. Petugas kami membaca setiap laporan.',
  'f.category': 'Jenis laporan', 'f.life': 'Jika ada nyawa dalam bahaya, segera telepon 110. Formulir ini tidak menggantikan panggilan darurat.',
  'f.description': 'Apa yang terjadi?', 'f.description.hint': 'Ceritakan apa, kapan, dan siapa yang terlibat (minimal 10 huruf).',
  'f.where': 'Di mana?', 'f.regency': 'Kabupaten/Kota', 'f.choose': '— pilih —', 'f.address': 'Alamat atau tempat kejadian',
  'f.gps': 'Gunakan lokasi saya', 'f.gps.wait': 'Mengambil lokasi…', 'f.gps.ok': 'Lokasi terpasang', 'f.gps.fail': 'Lokasi tidak dapat diambil. Isi alamat saja.',
  'f.gps.clear': 'Hapus lokasi', 'f.who': 'Data pelapor', 'f.name': 'Nama Anda', 'f.phone': 'Nomor HP', 'f.phone.hint': 'Contoh: 0812-3456-7890. Petugas dapat menelepon Anda kembali.',
  'f.submit': 'Kirim laporan', 'f.sending': 'Mengirim…', 'f.done': 'Laporan terkirim', 'f.ticket': 'Nomor tiket', 'f.token': 'Kode lacak',
  'f.keep': 'Simpan nomor tiket dan kode lacak ini. Keduanya diperlukan untuk melihat status laporan Anda.',
  'f.track': 'Lihat status laporan', 'f.again': 'Buat laporan lain', 'f.fix': 'Periksa kembali isian yang ditandai.',
  'err.required': 'Wajib diisi.', 'err.category': 'Pilih jenis laporan.', 'err.desc_short': 'Tulis minimal 10 huruf.',
  'err.too_long': 'Terlalu panjang.', 'err.phone': 'Nomor HP tidak valid. Contoh: 0812-3456-7890.', 'err.regency': 'Pilih kabupaten/kota dari daftar.',
  'err.address_short': 'Tulis minimal 3 huruf.', 'err.network': 'Tidak dapat terhubung. Periksa koneksi lalu coba lagi.',
  'err.rate': 'Terlalu banyak laporan dari perangkat ini. Coba lagi nanti.', 'err.invalid': 'Isian tidak valid.', 'err.server': 'Gagal',
  'tr.heading': 'Lacak laporan', 'tr.intro': 'Masukkan nomor tiket dan kode lacak yang Anda terima saat melapor.',
  'tr.ticket': 'Nomor tiket', 'tr.token': 'Kode lacak', 'tr.submit': 'Lihat status', 'tr.notfound': 'Laporan tidak ditemukan. Periksa nomor tiket dan kode lacak.',
  'tr.status': 'Status', 'tr.category': 'Jenis', 'tr.created': 'Dilaporkan', 'tr.updated': 'Diperbarui', 'tr.notes': 'Catatan petugas',
  'tr.nonotes': 'Belum ada catatan.', 'tr.dup': 'Laporan ini sama dengan laporan', 'tr.dupstatus': 'yang berstatus',
  'st.new': 'Baru', 'st.verified': 'Terverifikasi', 'st.rejected': 'Ditolak', 'st.dispatched': 'Didisposisi', 'st.acknowledged': 'Diterima Satker',
  'st.in_progress': 'Ditindaklanjuti', 'st.resolved': 'Selesai', 'st.closed': 'Ditutup',
  'pr.emergency': 'Darurat', 'pr.high': 'Tinggi', 'pr.normal': 'Biasa',
  'ch.web': 'Web', 'ch.phone': 'Telepon 110', 'ch.walk_in': 'Datang langsung', 'ch.whatsapp': 'WhatsApp',
  'lg.heading': 'Masuk petugas', 'lg.user': 'Nama pengguna', 'lg.pass': 'Kata sandi', 'lg.submit': 'Masuk', 'lg.bad': 'Nama pengguna atau kata sandi salah.',
  'lg.locked': 'Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi.', 'lg.pending': 'Akun ini menunggu konfirmasi Ka Siaga atau Pimpinan.', 'lg.role': 'Peran Anda tidak dapat membuka halaman ini.',
  'q.search': 'Cari tiket, nomor HP, atau kata', 'q.status': 'Status', 'q.all_open': 'Semua terbuka', 'q.category': 'Jenis', 'q.all': 'Semua',
  'q.lane': 'Jalur', 'q.lane.main': 'Utama', 'q.lane.blocked': 'Nomor diblokir', 'q.lane.all': 'Semua', 'q.overdue': 'Lewat tenggat saja',
  'q.call': 'Terima panggilan', 'q.call.key': '(tombol N)', 'q.total': 'kasus', 'q.page': 'Halaman', 'q.prev': 'Sebelumnya', 'q.next': 'Berikutnya',
  'q.empty': 'Tidak ada kasus.', 'q.live': 'Langsung', 'q.offline': 'Terputus — menyambung ulang…', 'q.queue': 'Antrean',
  'q.ticket': 'Tiket', 'q.what': 'Laporan', 'q.where': 'Wilayah', 'q.deadline': 'Tenggat', 'q.left': 'lagi', 'q.late': 'terlambat',
  'q.suspect': 'Diduga palsu', 'q.blocked': 'Nomor diblokir', 'q.loading': 'Memuat…',
  'snd.on': 'Suara: aktif', 'snd.off': 'Aktifkan suara', 'alert.crime': 'Laporan tindak pidana baru',
  'c.none': 'Pilih kasus dari antrean.', 'c.reporter': 'Pelapor', 'c.location': 'Lokasi', 'c.coords': 'Koordinat', 'c.description': 'Uraian',
  'c.unit': 'Satuan', 'c.suggested': 'Satuan yang disarankan', 'c.deadline': 'Tenggat', 'c.prank': 'Skor laporan palsu', 'c.record': 'Riwayat nomor',
  'c.record.line': '{reports} laporan, {verified} terverifikasi, {pranks} palsu dalam periode', 'c.history': 'Riwayat kasus', 'c.actions': 'Tindakan',
  'c.noactions': 'Tidak ada tindakan yang dapat Anda lakukan pada kasus ini.', 'c.dupcands': 'Kemungkinan laporan ganda', 'c.done': 'Tersimpan.',
  'c.channel': 'Saluran', 'c.created': 'Dilaporkan', 'c.sop': 'Versi SOP', 'c.verification': 'Verifikasi', 'c.reject_reason': 'Alasan penolakan',
  'c.resolution': 'Hasil', 'c.unverified': 'Didisposisi sebelum diverifikasi', 'c.close': 'Tutup',
  'a.verify': 'Verifikasi', 'a.reject': 'Tolak', 'a.link_duplicate': 'Tandai laporan ganda', 'a.dispatch': 'Disposisi', 'a.acknowledge': 'Terima',
  'a.progress': 'Tindak lanjut', 'a.resolve': 'Selesaikan', 'a.close': 'Tutup kasus', 'a.reopen': 'Buka kembali', 'a.note': 'Catatan',
  'a.method': 'Cara verifikasi', 'a.priority': 'Prioritas', 'a.keep': '(tetap)', 'a.reason': 'Alasan', 'a.note_field': 'Catatan', 'a.unit': 'Satuan tujuan',
  'a.summary': 'Ringkasan hasil', 'a.text': 'Isi catatan', 'a.public': 'Tampilkan kepada pelapor', 'a.original': 'Tiket asli',
  'm.callback_confirmed': 'Dikonfirmasi lewat telepon balik', 'm.scene_confirmed': 'Dikonfirmasi di lokasi', 'm.not_reachable': 'Pelapor tidak dapat dihubungi',
  'r.prank': 'Laporan palsu', 'r.unverifiable': 'Tidak dapat diverifikasi', 'r.duplicate': 'Laporan ganda', 'r.out_of_scope': 'Di luar kewenangan',
  'ev.reported': 'Dilaporkan', 'ev.verified': 'Diverifikasi', 'ev.rejected': 'Ditolak', 'ev.duplicate_linked': 'Laporan ganda ditautkan', 'ev.dispatched': 'Didisposisi',
  'ev.acknowledged': 'Diterima satuan', 'ev.progressed': 'Ditindaklanjuti', 'ev.resolved': 'Diselesaikan', 'ev.closed': 'Ditutup', 'ev.reopened': 'Dibuka kembali',
  'ev.noted': 'Catatan', 'ev.escalated': 'Eskalasi',
  'ct.heading': 'Terima panggilan 110 / pelapor datang', 'ct.channel': 'Saluran', 'ct.submit': 'Simpan laporan (Enter)', 'ct.cancel': 'Batal (Esc)',
  'ct.help': 'Tab untuk pindah isian, Enter untuk menyimpan, Ctrl+Enter di dalam uraian.', 'ct.saved': 'Laporan tersimpan', 'n.block': 'Blokir nomor ini', 'n.lift': 'Cabut blokir', 'n.until': 'Nomor ini diblokir sampai', 'ct.name': 'Nama pelapor',
  'b.heading': 'Command Center', 'b.today': 'Laporan hari ini', 'b.open': 'Kasus terbuka', 'b.overdue': 'Lewat tenggat', 'b.escalations': 'Eskalasi hari ini',
  'b.by_status': 'Hari ini menurut status', 'b.by_category': 'Hari ini menurut jenis', 'b.overdue_list': 'Kasus lewat tenggat', 'b.escalated': 'Kasus tereskalasi',
  'b.units': 'Tenggat terpenuhi per satuan', 'b.map': 'Peta kasus terbuka', 'b.sync': 'Sinkronisasi pos', 'b.nosync': 'Sinkronisasi tidak aktif di node ini.', 'b.version': 'Versi', 'b.nopeers': 'Belum ada node lain yang tersambung (lihat README: menghubungkan pos ke hub).', 'b.probation': 'masa uji', 'b.rollback': 'dibatalkan:',
  'b.node': 'Node', 'b.last': 'Kontak terakhir', 'b.backlog': 'Antrean kirim', 'b.connected': 'Terhubung', 'b.disconnected': 'Terputus', 'b.none': 'Tidak ada.',
  'b.updated': 'Diperbarui', 'b.rung': 'tingkat', 'b.share': 'terpenuhi', 'b.map.note': 'Skema: titik = pusat kabupaten/kota; bukan peta navigasi.',
  'ad.heading': 'Pengguna dan peran', 'ad.add': 'Tambah pengguna', 'ad.user': 'Nama pengguna', 'ad.role': 'Peran', 'ad.unit': 'Satuan (untuk unit_officer)',
  'ad.pass': 'Kata sandi (kosongkan untuk dibuatkan)', 'ad.create': 'Tambahkan', 'ad.disable': 'Nonaktifkan', 'ad.reset': 'Atur ulang sandi',
  'ad.disabled': 'nonaktif', 'ad.active': 'aktif', 'ad.created': 'Dibuat', 'ad.status': 'Status', 'ad.shown_once': 'Kata sandi untuk {user} (hanya ditampilkan sekali):',
  'ad.pending': 'menunggu konfirmasi', 'ad.enable': 'Aktifkan', 'ad.confirm_account': 'Konfirmasi', 'ad.waits': 'menunggu Ka Siaga atau Pimpinan',
  'ad.pending_heading': 'Akun menunggu konfirmasi', 'ad.pending_none': 'Tidak ada akun yang menunggu konfirmasi.',
  'ad.pending_help': 'Akun yang dibuat atau diatur ulang sandinya oleh Admin TIK lewat web, untuk peran yang membaca isi laporan, baru dapat masuk setelah Ka Siaga atau Pimpinan node ini mengonfirmasinya.',
  'ad.confirm': 'Yakin?', 'ad.integrity': 'Periksa integritas', 'ad.int_ok': 'Rantai hash utuh.', 'ad.int_bad': 'Rantai hash RUSAK — laporkan ke Itwasda.',
  'au.heading': 'Audit (hanya baca)', 'au.cases': 'Semua kasus', 'au.log': 'Log akses', 'au.at': 'Waktu', 'au.actor': 'Pengguna', 'au.action': 'Aksi',
  'au.target': 'Sasaran', 'au.from': 'Dari', 'au.chain_ok': 'Rantai log akses utuh', 'au.chain_bad': 'Rantai log akses RUSAK',
  'role.operator': 'Operator', 'role.pa_siaga': 'Pa Siaga', 'role.ka_siaga': 'Ka Siaga', 'role.unit_officer': 'Petugas satuan', 'role.leader': 'Pimpinan',
  'role.auditor': 'Auditor (Itwasda)', 'role.propam': 'Propam', 'role.tik_admin': 'Admin TIK',
  'step.verify': 'Verifikasi', 'step.dispatch': 'Disposisi', 'step.acknowledge': 'Diterima satuan', 'step.first_action': 'Tindakan pertama', 'step.resolve': 'Penyelesaian',
};

const en = {
  'app.title': 'Police Help Service', 'app.polda': 'South Sumatra Regional Police', 'lang.switch': 'Bahasa Indonesia',
  'nav.report': 'Report', 'nav.track': 'Track a report', 'nav.console': 'Console', 'nav.board': 'Board',
  'nav.admin': 'Admin', 'nav.audit': 'Audit', 'nav.staff': 'Staff login', 'nav.logout': 'Log out', 'nav.main': 'Navigation',
  'foot.wa': 'WhatsApp Banpol: 0813-70002-110', 'foot.110': 'Emergency: 110',
  'call110': 'Emergency? Call 110',
  'cat.crime': 'Crime report', 'cat.information': 'Information', 'cat.feedback': 'Criticism and suggestions', 'cat.appreciation': 'Appreciation',
  'cat.crime.help': 'A crime that is happening or has happened: theft, robbery, assault, fraud.',
  'cat.information.help': 'Questions about police services: police certificate (SKCK), driving licence, lost documents, event permits.',
  'cat.feedback.help': 'Criticism of or suggestions for the police. Complaints about an officer go to Propam.',
  'cat.appreciation.help': 'Praise for a police unit or officer who helped you.',
  'f.heading': 'Report to the police', 'f.intro': 'Fill in the form below. Our officers read every report.',
  'f.category': 'Type of report', 'f.life': 'If a life is in danger, call 110 now. This form does not replace an emergency call.',
  'f.description': 'What happened?', 'f.description.hint': 'Say what, when and who was involved (at least 10 characters).',
  'f.where': 'Where?', 'f.regency': 'Regency/City', 'f.choose': '— choose —', 'f.address': 'Address or place',
  'f.gps': 'Use my location', 'f.gps.wait': 'Getting your location…', 'f.gps.ok': 'Location added', 'f.gps.fail': 'Your location could not be read. Give the address only.',
  'f.gps.clear': 'Remove location', 'f.who': 'About you', 'f.name': 'Your name', 'f.phone': 'Mobile number', 'f.phone.hint': 'For example 0812-3456-7890. An officer may call you back.',
  'f.submit': 'Send report', 'f.sending': 'Sending…', 'f.done': 'Report sent', 'f.ticket': 'Ticket number', 'f.token': 'Tracking code',
  'f.keep': 'Keep this ticket number and tracking code. You need both to see the status of your report.',
  'f.track': 'See the status', 'f.again': 'Send another report', 'f.fix': 'Please check the marked fields.',
  'err.required': 'Required.', 'err.category': 'Choose a type of report.', 'err.desc_short': 'Write at least 10 characters.',
  'err.too_long': 'Too long.', 'err.phone': 'Not a valid mobile number. For example 0812-3456-7890.', 'err.regency': 'Choose a regency or city from the list.',
  'err.address_short': 'Write at least 3 characters.', 'err.network': 'No connection. Check your connection and try again.',
  'err.rate': 'Too many reports from this device. Try again later.', 'err.invalid': 'Not valid.', 'err.server': 'Failed',
  'tr.heading': 'Track a report', 'tr.intro': 'Enter the ticket number and tracking code you received when you reported.',
  'tr.ticket': 'Ticket number', 'tr.token': 'Tracking code', 'tr.submit': 'Show status', 'tr.notfound': 'No such report. Check the ticket number and tracking code.',
  'tr.status': 'Status', 'tr.category': 'Type', 'tr.created': 'Reported', 'tr.updated': 'Updated', 'tr.notes': 'Notes from officers',
  'tr.nonotes': 'No notes yet.', 'tr.dup': 'This report repeats report', 'tr.dupstatus': 'whose status is',
  'st.new': 'New', 'st.verified': 'Verified', 'st.rejected': 'Rejected', 'st.dispatched': 'Dispatched', 'st.acknowledged': 'Acknowledged',
  'st.in_progress': 'In progress', 'st.resolved': 'Resolved', 'st.closed': 'Closed',
  'pr.emergency': 'Emergency', 'pr.high': 'High', 'pr.normal': 'Normal',
  'ch.web': 'Web', 'ch.phone': 'Call 110', 'ch.walk_in': 'Walk-in', 'ch.whatsapp': 'WhatsApp',
  'lg.heading': 'Staff login', 'lg.user': 'Username', 'lg.pass': 'Password', 'lg.submit': 'Log in', 'lg.bad': 'Wrong username or password.',
  'lg.locked': 'Too many attempts. Wait a moment and try again.', 'lg.pending': 'This account waits for a head of shift or leader to confirm it.', 'lg.role': 'Your role cannot open this page.',
  'q.search': 'Search ticket, phone or words', 'q.status': 'Status', 'q.all_open': 'All open', 'q.category': 'Type', 'q.all': 'All',
  'q.lane': 'Lane', 'q.lane.main': 'Main', 'q.lane.blocked': 'Blocked numbers', 'q.lane.all': 'All', 'q.overdue': 'Overdue only',
  'q.call': 'Take a call', 'q.call.key': '(key N)', 'q.total': 'cases', 'q.page': 'Page', 'q.prev': 'Previous', 'q.next': 'Next',
  'q.empty': 'No cases.', 'q.live': 'Live', 'q.offline': 'Disconnected — reconnecting…', 'q.queue': 'Queue',
  'q.ticket': 'Ticket', 'q.what': 'Report', 'q.where': 'Area', 'q.deadline': 'Deadline', 'q.left': 'left', 'q.late': 'late',
  'q.suspect': 'Suspected prank', 'q.blocked': 'Blocked number', 'q.loading': 'Loading…',
  'snd.on': 'Sound: on', 'snd.off': 'Turn sound on', 'alert.crime': 'New crime report',
  'c.none': 'Choose a case from the queue.', 'c.reporter': 'Reporter', 'c.location': 'Location', 'c.coords': 'Coordinates', 'c.description': 'Description',
  'c.unit': 'Unit', 'c.suggested': 'Suggested unit', 'c.deadline': 'Deadline', 'c.prank': 'Prank score', 'c.record': 'Number history',
  'c.record.line': '{reports} reports, {verified} verified, {pranks} pranks in the window', 'c.history': 'Case history', 'c.actions': 'Actions',
  'c.noactions': 'Your role can take no action on this case.', 'c.dupcands': 'Possible duplicates', 'c.done': 'Saved.',
  'c.channel': 'Channel', 'c.created': 'Reported', 'c.sop': 'SOP version', 'c.verification': 'Verification', 'c.reject_reason': 'Reject reason',
  'c.resolution': 'Outcome', 'c.unverified': 'Dispatched before verification', 'c.close': 'Close',
  'a.verify': 'Verify', 'a.reject': 'Reject', 'a.link_duplicate': 'Link as duplicate', 'a.dispatch': 'Dispatch', 'a.acknowledge': 'Acknowledge',
  'a.progress': 'Progress', 'a.resolve': 'Resolve', 'a.close': 'Close case', 'a.reopen': 'Reopen', 'a.note': 'Note',
  'a.method': 'How verified', 'a.priority': 'Priority', 'a.keep': '(keep)', 'a.reason': 'Reason', 'a.note_field': 'Note', 'a.unit': 'Unit',
  'a.summary': 'Summary of the outcome', 'a.text': 'Note', 'a.public': 'Show to the reporter', 'a.original': 'Original ticket',
  'm.callback_confirmed': 'Confirmed by calling back', 'm.scene_confirmed': 'Confirmed at the scene', 'm.not_reachable': 'Reporter not reachable',
  'r.prank': 'Prank', 'r.unverifiable': 'Unverifiable', 'r.duplicate': 'Duplicate', 'r.out_of_scope': 'Out of scope',
  'ev.reported': 'Reported', 'ev.verified': 'Verified', 'ev.rejected': 'Rejected', 'ev.duplicate_linked': 'Duplicate linked', 'ev.dispatched': 'Dispatched',
  'ev.acknowledged': 'Acknowledged', 'ev.progressed': 'Progress', 'ev.resolved': 'Resolved', 'ev.closed': 'Closed', 'ev.reopened': 'Reopened',
  'ev.noted': 'Note', 'ev.escalated': 'Escalated',
  'ct.heading': 'Take a 110 call or walk-in', 'ct.channel': 'Channel', 'ct.submit': 'Save report (Enter)', 'ct.cancel': 'Cancel (Esc)',
  'ct.help': 'Tab moves between fields, Enter saves, Ctrl+Enter inside the description.', 'ct.saved': 'Report saved', 'n.block': 'Block this number', 'n.lift': 'Lift the block', 'n.until': 'This number is blocked until', 'ct.name': 'Caller\'s name',
  'b.heading': 'Command Center', 'b.today': 'Reports today', 'b.open': 'Open cases', 'b.overdue': 'Overdue', 'b.escalations': 'Escalations today',
  'b.by_status': 'Today by status', 'b.by_category': 'Today by type', 'b.overdue_list': 'Overdue cases', 'b.escalated': 'Escalated cases',
  'b.units': 'Deadlines met per unit', 'b.map': 'Open cases on the map', 'b.sync': 'Post sync', 'b.nosync': 'Sync is not active on this node.', 'b.version': 'Version', 'b.nopeers': 'No other node is connected yet (see the README: connecting a post to the hub).', 'b.probation': 'on probation', 'b.rollback': 'rolled back:',
  'b.node': 'Node', 'b.last': 'Last contact', 'b.backlog': 'Backlog', 'b.connected': 'Connected', 'b.disconnected': 'Disconnected', 'b.none': 'None.',
  'b.updated': 'Updated', 'b.rung': 'rung', 'b.share': 'met', 'b.map.note': 'Schematic: dots are regency seats; not for navigation.',
  'ad.heading': 'Users and roles', 'ad.add': 'Add a user', 'ad.user': 'Username', 'ad.role': 'Role', 'ad.unit': 'Unit (for unit_officer)',
  'ad.pass': 'Password (leave empty to generate)', 'ad.create': 'Add', 'ad.disable': 'Disable', 'ad.reset': 'Reset password',
  'ad.disabled': 'disabled', 'ad.active': 'active', 'ad.created': 'Created', 'ad.status': 'Status', 'ad.shown_once': 'Password for {user} (shown once):',
  'ad.pending': 'waiting for confirmation', 'ad.enable': 'Enable', 'ad.confirm_account': 'Confirm', 'ad.waits': 'waits for a head of shift or leader',
  'ad.pending_heading': 'Accounts waiting for confirmation', 'ad.pending_none': 'No account is waiting for confirmation.',
  'ad.pending_help': 'An account that the IT admin created or reset over the web, for a role that reads case contents, can log in only after a head of shift or leader of this node confirms it.',
  'ad.confirm': 'Are you sure?', 'ad.integrity': 'Check integrity', 'ad.int_ok': 'The hash chains hold.', 'ad.int_bad': 'Hash chains BROKEN — tell Itwasda.',
  'au.heading': 'Audit (read only)', 'au.cases': 'All cases', 'au.log': 'Access log', 'au.at': 'Time', 'au.actor': 'User', 'au.action': 'Action',
  'au.target': 'Target', 'au.from': 'From', 'au.chain_ok': 'Access log chain holds', 'au.chain_bad': 'Access log chain BROKEN',
  'role.operator': 'Operator', 'role.pa_siaga': 'Duty officer', 'role.ka_siaga': 'Head of shift', 'role.unit_officer': 'Unit officer', 'role.leader': 'Leader',
  'role.auditor': 'Auditor (Itwasda)', 'role.propam': 'Propam', 'role.tik_admin': 'IT admin',
  'step.verify': 'Verification', 'step.dispatch': 'Dispatch', 'step.acknowledge': 'Acknowledgement', 'step.first_action': 'First action', 'step.resolve': 'Resolution',
};

export const lang = (() => {
  try { return localStorage.getItem('banpol.lang') === 'en' ? 'en' : 'id'; } catch { return 'id'; }
})();
const dict = lang === 'en' ? en : id;

/** The text for `key` in the current language; `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const s = dict[key] ?? id[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

/** Fills every data-i18n element under `root`, and wires the language switch. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll('[data-i18n-ph]')) e.placeholder = t(e.dataset.i18nPh);
  for (const e of root.querySelectorAll('[data-i18n-label]')) e.setAttribute('aria-label', t(e.dataset.i18nLabel));
  const sw = document.getElementById('lang');
  if (sw && !sw.dataset.wired) {
    sw.dataset.wired = '1';
    sw.textContent = t('lang.switch');
    sw.lang = lang === 'en' ? 'id' : 'en';
    sw.addEventListener('click', () => {
      try { localStorage.setItem('banpol.lang', lang === 'en' ? 'id' : 'en'); } catch { /* private mode */ }
      location.reload();
    });
  }
}
